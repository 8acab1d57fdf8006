// vm sampler: a guest's taps (tun descriptors' fdinfo, else the command line) and their vm_net counters, over a /proc
// and /sys tree built in a temp dir (a real QEMU on a real tap: test/integration/qemu/vm-host.test.ts).
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { measurement } from "@eastwest/common";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { RateMemory } from "../../../agent/src/samplers/shared/rates.ts";
import { cmdlineTaps, findTaps, parseTunIff, readTap, tapPoints } from "../../../agent/src/samplers/vm/vm.taps.ts";
import { tempDir } from "../../helpers/procs.ts";
import { SECOND, T0, ctx } from "./helpers.ts";

describe("vm sampler: taps", () => {
  let dir: ReturnType<typeof tempDir>;
  let proc: string;
  let sys: string;
  beforeEach(() => {
    dir = tempDir("vm-taps");
    proc = join(dir.path, "proc");
    sys = join(dir.path, "sys");
  });
  afterEach(() => dir.remove());

  function fd(pid: number, n: number, target: string, fdinfo: string): void {
    mkdirSync(join(proc, String(pid), "fd"), { recursive: true });
    mkdirSync(join(proc, String(pid), "fdinfo"), { recursive: true });
    symlinkSync(target, join(proc, String(pid), "fd", String(n)));
    writeFileSync(join(proc, String(pid), "fdinfo", String(n)), fdinfo);
  }

  function stats(iface: string, values: Record<string, string>): void {
    mkdirSync(join(sys, "class/net", iface, "statistics"), { recursive: true });
    for (const [file, v] of Object.entries(values)) writeFileSync(join(sys, "class/net", iface, "statistics", file), v);
  }

  const counters = (n: number) => ({ rx_bytes: `${1000 * n}\n`, tx_bytes: `${2000 * n}\n`, rx_packets: `${10 * n}\n`, tx_packets: `${20 * n}\n`, rx_dropped: "0\n", tx_dropped: `${n}\n` });

  it("parses fdinfo's iff: line; anything else is no interface", () => {
    assert.equal(parseTunIff("pos:\t100\nflags:\t0104002\nmnt_id:\t24\nino:\t104\niff:\tvnet3\n"), "vnet3");
    for (const text of ["", "pos:\t0\nflags:\t02\n", "iff:\t\n", "iff:\ta/b\n", `iff:\t${"x".repeat(16)}\n`]) assert.equal(parseTunIff(text), undefined, JSON.stringify(text));
  });

  it("names taps of -netdev, -nic, -net and the JSON form; libvirt's fd= names none", () => {
    const argv = ["qemu-system-x86_64", "-netdev", "tap,id=n0,ifname=tapA,script=no", "--netdev", "user,id=u0", "-nic", "tap,ifname=tapB", "-net", "tap,ifname=tapA", "-netdev", '{"type":"tap","fd":"31","id":"hostnet0"}', "-netdev", '{"type":"tap","ifname":"tapC","id":"x"}', "-netdev", "{broken"];
    assert.deepEqual(cmdlineTaps(argv), ["tapA", "tapB", "tapC"]);
    assert.deepEqual(cmdlineTaps(["qemu-system-x86_64", "-netdev"]), []);
  });

  it("finds taps by the tun descriptors (over the command line), else by the command line, else none", async () => {
    fd(700, 3, "/dev/net/tun", "pos:\t100\nflags:\t0104002\niff:\tvnet9\n");
    fd(700, 4, "/dev/null", "iff:\tnot-a-tun\n");
    fd(700, 5, "/dev/net/tun", "pos:\t0\n");
    const c = ctx(hostFs(proc, sys), T0);
    assert.deepEqual(await findTaps(c, 700, ["tapX"]), { ifaces: ["vnet9"], how: "fdinfo" });
    assert.deepEqual(await findTaps(c, 701, ["tapX"]), { ifaces: ["tapX"], how: "cmdline" });
    assert.deepEqual(await findTaps(c, 701, []), { ifaces: [], how: "none" });
  });

  it("vm_net: totals, rates from the second tick, the tap's problems named", async () => {
    stats("vnet9", counters(1));
    const memory = new RateMemory(64);
    const vm = { pid: 700, name: "g", uuid: "u" };
    const taps = { ifaces: ["vnet9", "gone0"], how: "fdinfo" as const };
    const problems: string[] = [];
    const p0 = await tapPoints(ctx(hostFs(proc, sys), T0), memory, vm, taps, problems);
    stats("vnet9", counters(3));
    const p1 = await tapPoints(ctx(hostFs(proc, sys), T0 + 2n * SECOND), memory, vm, taps, problems);
    assert.equal(p0.length, 1);
    assert.deepEqual(p0[0]?.tags, { agent_id: "test-agent", host: "test-host", netns: "test-ns", vm: "g", vm_uuid: "u", iface: "vnet9" });
    assert.equal(p0[0]?.fields["rx_bytes_per_s"], undefined);
    // the guest's view: the tap's tx is what the guest received (vm_net rx), its rx what the guest sent
    assert.deepEqual(p1[0]?.fields, {
      rx_bytes_total: 6000n, tx_bytes_total: 3000n, rx_packets_total: 60n, tx_packets_total: 30n, rx_drops_total: 3n, tx_drops_total: 0n,
      rx_bytes_per_s: 2000, tx_bytes_per_s: 1000, rx_packets_per_s: 20, tx_packets_per_s: 10, rx_drops_per_s: 1, tx_drops_per_s: 0,
    });
    const def = measurement("vm_net");
    for (const f of Object.keys(p1[0]?.fields ?? {})) assert.ok(def?.fields[f], `vm_net.${f} declared`);
    assert.deepEqual([...new Set(problems)], ["vm g: tap gone0: no /sys/class/net/gone0 in the agent's network namespace (gone, or in another one)"]);
  });

  it("hostile statistics files are a problem, not a crash", async () => {
    stats("bad0", { ...counters(1), tx_bytes: "-5\n" });
    const r = await readTap(ctx(hostFs(proc, sys), T0), "bad0");
    assert.equal(r, '/sys/class/net/bad0/statistics/tx_bytes: not a counter: "-5"');
  });
});
