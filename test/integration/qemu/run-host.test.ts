// A run between two guest agents whose VMs are real QEMU TCG guests: the run record has the host side. A collector
// (in process), a host agent that discovers the guests (vm_info, no KVM stats under TCG), and two agents with role
// guest whose DMI product_uuid (a --sys-root of their own) is their VM's -uuid; iperf3 runs between the two guest
// agents on loopback. The record names both VMs with their vCPU/main thread CPU and tap counters over the window, the
// exit term's reason "tcg: no KVM exits", and never "match no host-side VM". A third guest, under -accel kvm and
// in no run, gives the host's exit sources something to compare: its QMP exits against the kvm:kvm_exit tracepoint
// (which counts 0 on this machine), and both the run record and the host agent say so.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { formatRun } from "../../../collector/src/run/format.ts";
import type { RunRecord } from "../../../collector/src/run/runner.ts";
import { parseExact, stringifyExact } from "../../../collector/src/store/json.ts";
import { postJson } from "../../helpers/api.ts";
import { RUN_ACTIONS, freePort, killAll, requireBinary, start, startProcess, tempDir, waitFor } from "../../helpers/procs.ts";

describe("a run between two TCG guests: the record's host side", function () {
  this.timeout(180_000);
  const tag = `${process.pid % 100_000}${Math.floor(Math.random() * 100)}`;
  const HV = `hv-${tag}`;
  const vms = ["a", "b"].map((x) => ({ x, name: `ewrun-${tag}-${x}`, uuid: randomUUID(), tap: `ewr${tag}${x}`, agent: `g${x}-${tag}` }));
  let dir: ReturnType<typeof tempDir>;
  let collector: Collector;
  let ip: string;
  const taps: string[] = [];

  before(async () => {
    const qemu = requireBinary("qemu-system-x86_64");
    requireBinary("iperf3");
    ip = requireBinary("ip");
    dir = tempDir("run-host");
    collector = new Collector(loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: join(dir.path, "s.db") } } }), silentLogger());
    await collector.start();
    const grpc = `127.0.0.1:${collector.grpcPort}`;
    for (const v of vms) {
      execFileSync(ip, ["tuntap", "add", "dev", v.tap, "mode", "tap"]);
      taps.push(v.tap);
      execFileSync(ip, ["link", "set", "dev", v.tap, "up"]);
      startProcess(qemu, [
        "-accel", "tcg", "-m", "64", "-smp", "1", "-nographic", "-nodefaults", "-no-user-config", "-display", "none",
        "-name", `guest=${v.name},debug-threads=on`, "-uuid", v.uuid,
        "-netdev", `tap,id=n0,ifname=${v.tap},script=no,downscript=no,vhost=off`, "-device", "virtio-net-pci,netdev=n0",
      ]);
      // The guest's view of DMI, as a guest kernel shows what QEMU's -uuid set.
      const sys = join(dir.path, `sys-${v.x}`);
      mkdirSync(join(sys, "class/dmi/id"), { recursive: true });
      writeFileSync(join(sys, "class/dmi/id/product_uuid"), v.uuid.toUpperCase() + "\n");
      start(["agent", "--id", v.agent, "--role", "guest", "--collector", grpc, "--sys-root", sys, "--scheduling", "normal", "--log-level", "warn", ...RUN_ACTIONS]);
    }
    startProcess(qemu, ["-accel", "kvm", "-m", "64", "-smp", "1", "-nographic", "-nodefaults", "-no-user-config", "-display", "none", "-name", `guest=ewrun-${tag}-kvm,debug-threads=on`, "-uuid", randomUUID(), "-qmp", `unix:${join(dir.path, "kvm.sock")},server=on,wait=off`]);
    start(["agent", "--id", HV, "--collector", grpc, "--scheduling", "normal", "--log-level", "warn"]);
    for (const id of [HV, ...vms.map((v) => v.agent)]) await collector.sessions.waitFor(id, 30_000);
    // the host agent has found both VMs
    await waitFor(async () => {
      for (const v of vms) if ((await collector.store.latest({ measurement: "vm_info", tags: { agent_id: HV, vm_uuid: v.uuid } })).length === 0) return undefined;
      return true;
    }, 60_000, "vm_info of both guests from the host agent");
  });

  after(async () => {
    await killAll();
    await collector?.stop();
    for (const t of taps) if (existsSync(`/sys/class/net/${t}`)) execFileSync(ip, ["link", "del", "dev", t]);
    dir?.remove();
  });

  it("names the VMs, their threads' CPU, their taps and why there are no exits", async () => {
    const [a, b] = vms as [(typeof vms)[0], (typeof vms)[0]];
    const port = await freePort();
    const spec = { server: { agentId: a.agent, interface: "lo" }, client: { agentId: b.agent, interface: "lo" }, serverAddress: "127.0.0.1", port, durationS: 5, sampleIntervalMs: 200 };
    const res = await postJson(`http://127.0.0.1:${collector.httpPort}/api/v1/runs`, JSON.stringify(spec), collector.localTokenFile);
    const text = await res.text();
    assert.equal(res.status, 201, text);
    const record = parseExact(text) as unknown as RunRecord;
    const h = record.hostSide;
    assert.deepEqual(h.hostAgents, [HV]);
    assert.deepEqual(h.vms.map((v) => v.vm).sort(), [a.name, b.name]);
    for (const v of vms) {
      const vm = h.vms.find((x) => x.vm === v.name);
      assert.ok(vm, v.name);
      assert.deepEqual([vm.vm_uuid, vm.host_agent, vm.guest_agents, vm.accel, vm.kvm_stats], [v.uuid, HV, [v.agent], "tcg", "unavailable"]);
      assert.deepEqual([vm.exits, vm.exits_reason], [null, "tcg: no KVM exits"]);
      const vcpu = vm.threads.find((t) => t.kind === "vcpu");
      assert.ok(typeof vcpu?.run_pct === "number" && vcpu.run_pct > 0, `vCPU thread CPU of ${v.name}: ${stringifyExact(vm.threads)}`);
      assert.ok(vm.threads.some((t) => t.kind === "main" && typeof t.run_pct === "number"), "main thread CPU");
      // the scheduler's wait (schedstat run_delay) beside the run time: a share of the window, at most what was not run
      assert.ok(typeof vcpu.wait_pct === "number" && vcpu.wait_pct >= 0 && vcpu.wait_pct + vcpu.run_pct <= 110, `vCPU thread wait of ${v.name}: ${stringifyExact(vm.threads)}`);
      const net = vm.net.find((n) => n.iface === v.tap);
      assert.ok(net && typeof net.rx_packets === "number" && typeof net.tx_packets === "number", `tap ${v.tap}: ${stringifyExact(vm.net)}`);
    }
    const contention = record.diagnosis?.findings.find((f) => f.rule === "cpu-contention");
    assert.ok(contention && contention.verdict !== "cannot tell" && contention.evidence.some((e) => /waiting$/.test(e.name)), `cpu-contention from the VM threads' waits: ${stringifyExact(contention)}`);
    const model = record.results.model;
    assert.match(String(model.observed.exit_source), /^tcg: no KVM exits \(vm /);
    assert.match(model.derivations["exits_per_packet"] ?? "", /^none: tcg: no KVM exits/);
    const json = stringifyExact(record);
    assert.doesNotMatch(json, /match no host-side VM/);
    const report = formatRun(record);
    for (const v of vms) assert.ok(report.includes(`  vm ${v.name} on ${HV} (tcg, KVM counters unavailable; uuid ${v.uuid}; guest agent ${v.agent}):`), report);
    assert.match(report, /    exits: tcg: no KVM exits/);
    // the host's exit sources over the window: the KVM guest's QMP exits against the tracepoint
    const src = h.exitSources.find((r) => r.agent_id === HV);
    assert.ok(src && src.vms_per_s !== null && src.vms_per_s > 0, `the KVM guest's exits: ${stringifyExact(h.exitSources)}`);
    if (src.tracepoint_per_s === 0 && src.vms_per_s >= 10) {
      assert.equal(src.verdict, "not_working");
      assert.ok(record.results.warnings.some((w) => w.startsWith(`host: exit sources on ${HV}: kvmexits not working: perf kvm:kvm_exit counted 0 while`)), record.results.warnings.join("\n"));
      assert.match(report, new RegExp(`exit sources \\(${HV}\\): perf kvm:kvm_exit 0 exits/s, VMs' KVM counters [\\d,]+ exits/s: tracepoint not working`));
    }
    const lines = report.split("\n");
    const from = lines.findIndex((l) => l.startsWith("host side"));
    console.log(lines.slice(from, lines.indexOf("", from)).join("\n"));
  });

  it("the host agent says so too: kvm_exit_sources points compare its two exit sources", async () => {
    const check = await waitFor(async () => {
      const series = await collector.store.query({ measurement: "kvm_exit_sources", fromNs: 0n, toNs: 2n ** 62n, tags: { agent_id: HV } });
      const rows = series.flatMap((x) => x.values.map((row) => Object.fromEntries(x.columns.map((c, i) => [c, row[i]]))));
      return rows.length > 0 ? rows.at(-1) : undefined;
    }, 90_000, "a kvm_exit_sources point from the host agent");
    const tp = Number(check["tracepoint_exits_per_s"]);
    const vm = Number(check["vm_exits_per_s"]);
    assert.ok(vm > 0, `the KVM guest's exits: ${stringifyExact(check)}`);
    if (tp === 0 && vm >= 10) assert.equal(check["tracepoint_working"], false);
    console.log(`      host agent: perf kvm:kvm_exit ${tp.toFixed(0)} exits/s, QMP ${vm.toFixed(0)} exits/s on ${check["vms"]} guest(s), working ${check["tracepoint_working"]}`);
  });
});
