// End to end: a real QEMU guest under -accel kvm, a host agent that discovers
// it, and a guest-role agent whose DMI product_uuid is the VM's: the collector
// links them, and `GET /api/v1/vms` and `eastwest vms` show the VM's exits/s
// with its guest agent.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getJson, jsonLine, killAll, requireBinary, start, startProcess, tempDir, waitFor } from "../../helpers/procs.ts";

interface Vm {
  vm: string;
  vmUuid: string;
  hostAgent: string;
  exitsPerS: number | null;
  guestAgents: string[];
}

describe("VMs in the collector: exits per VM, linked to the guest agent", function () {
  this.timeout(90_000);
  let dir: ReturnType<typeof tempDir>;
  before(() => (dir = tempDir("vms")));
  after(async () => {
    await killAll();
    dir.remove();
  });

  it("shows the VM's exits/s and its guest agent over HTTP and the CLI", async () => {
    const qemu = requireBinary("qemu-system-x86_64");
    assert.ok(existsSync("/dev/kvm"), "this test needs /dev/kvm");
    const uuid = randomUUID();
    const name = `ewvms${process.pid}`;
    startProcess(qemu, ["-accel", "kvm", "-m", "64", "-smp", "1", "-nographic", "-nodefaults", "-no-user-config", "-display", "none", "-name", `guest=${name},debug-threads=on`, "-uuid", uuid, "-qmp", `unix:${join(dir.path, "q.sock")},server=on,wait=off`]);
    const col = start(["collector", "--grpc-port", "0", "--http-port", "0", "--data", join(dir.path, "s.db"), "--log-level", "warn"]);
    const ports = await jsonLine<{ grpc_port: number; http_port: number }>(col);
    const api = `http://127.0.0.1:${ports.http_port}`;
    const collector = `127.0.0.1:${ports.grpc_port}`;
    start(["agent", "--id", "hv", "--collector", collector, "--interval-ms", "500", "--log-level", "warn"]);
    // The guest's view of DMI, as a guest kernel shows what QEMU's -uuid set.
    const sys = join(dir.path, "guest-sys");
    mkdirSync(join(sys, "class/dmi/id"), { recursive: true });
    writeFileSync(join(sys, "class/dmi/id/product_uuid"), uuid.toUpperCase() + "\n");
    start(["agent", "--id", "in-guest", "--role", "guest", "--collector", collector, "--sys-root", sys, "--log-level", "silent"]);
    const vm = await waitFor(async () => {
      const r = await getJson<{ vms: Vm[] }>(`${api}/api/v1/vms`);
      const v = r.vms.find((x) => x.vm === name);
      return v && v.exitsPerS !== null && v.exitsPerS > 0 && v.guestAgents.length > 0 ? v : undefined;
    }, 60_000, "the VM with exits/s and its guest agent");
    assert.equal(vm.vmUuid, uuid);
    assert.equal(vm.hostAgent, "hv");
    assert.deepEqual(vm.guestAgents, ["in-guest"]);
    const cli = start(["vms", "--api", api]);
    assert.equal(await cli.exited, 0, cli.stderr());
    const line = cli.stdout().split("\n").find((l) => l.includes(name));
    assert.ok(line && line.includes("in-guest") && line.includes(uuid), cli.stdout());
  });
});
