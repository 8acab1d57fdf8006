import assert from "node:assert/strict";
import { ParseError } from "@eastwest/common";
import { hostFs, type HostFs } from "../../../agent/src/runtime/hostfs.ts";
import { realExec } from "../../../agent/src/runtime/exec.ts";
import { parseEthtoolFeatures } from "../../../agent/src/host/ethtool.parse.ts";
import { parseQdiscs, rootQdisc } from "../../../agent/src/host/tc.parse.ts";
import { safeInterfaceName } from "../../../agent/src/samplers/netstate/netstate.ifaces.ts";
import { netstateSampler } from "../../../agent/src/samplers/netstate/netstate.sampler.ts";
import { T0, SECOND, ctx, fixture, fixtureExec, liveFs, pointWith, requireTool } from "./helpers.ts";

/** "name: on|off [fixed]" read straight from the fixture text. */
function fixtureFeature(text: string, name: string): { on: boolean; fixed: boolean } {
  const line = text.split("\n").find((l) => l.trim().startsWith(`${name}:`)) ?? "";
  return { on: /:\s+on/.test(line), fixed: line.includes("[fixed]") };
}

describe("netstate: parsers", () => {
  it("parses every feature line of the live ethtool -k lo capture", () => {
    const text = fixture("cmd", "live-t0", "ethtool-k-lo.txt");
    const f = parseEthtoolFeatures(text);
    assert.deepEqual(f.errors, []);
    assert.equal(f.features.size, text.split("\n").filter((l) => /:\s+(on|off)/.test(l)).length);
    assert.deepEqual(f.features.get("generic-receive-offload"), { on: true, fixed: false });
    assert.deepEqual(f.features.get("rx-checksumming"), { on: true, fixed: true });
    assert.deepEqual(f.features.get("large-receive-offload"), { on: false, fixed: true });
    for (const name of ["tx-checksum-ip-generic", "tx-nocache-copy", "rx-gro-hw", "tcp-segmentation-offload"]) {
      assert.deepEqual(f.features.get(name), fixtureFeature(text, name), name);
    }
  });

  it("reads [requested on]; throws on garbage", () => {
    const f = parseEthtoolFeatures(fixture("cmd", "variants", "ethtool-k-requested.txt"));
    assert.deepEqual(f.features.get("generic-segmentation-offload"), { on: false, fixed: false, requested: true });
    assert.deepEqual(f.features.get("tx-checksum-ip-generic"), { on: false, fixed: true });
    assert.throws(() => parseEthtoolFeatures(fixture("cmd", "variants", "ethtool-k-garbage.txt")), ParseError);
  });

  it("finds the root qdisc kind", () => {
    assert.equal(rootQdisc(parseQdiscs(fixture("cmd", "live-t0", "tc-qdisc-lo.txt"))), "noqueue");
    assert.equal(rootQdisc(parseQdiscs(fixture("cmd", "live-t0", "tc-qdisc-eth0.txt"))), "pfifo_fast");
    assert.equal(rootQdisc(parseQdiscs(fixture("cmd", "variants", "tc-qdisc-tbf.txt"))), "tbf");
    const mq = parseQdiscs(fixture("cmd", "variants", "tc-qdisc-mq.txt"));
    assert.deepEqual(mq.map((q) => q.attach), ["root", "parent :2", "parent :1", "parent ffff:fff1"]);
    assert.equal(rootQdisc(mq), "mq");
    assert.equal(rootQdisc(parseQdiscs(fixture("cmd", "live-t0", "tc-qdisc-ifb0.txt"))), undefined);
    assert.throws(() => parseQdiscs("Cannot find device \"nope\"\n"), ParseError);
  });

  it("only passes safe interface names to tools", () => {
    assert.deepEqual(["eth0", "veth-a.10", "-k", "a/b", "a b", "x".repeat(16), ""].map(safeInterfaceName), [true, true, false, false, false, false, false]);
  });
});

describe("netstate: sampler", () => {
  it("snapshots every non-loopback interface and the congestion control", async () => {
    const rec = fixtureExec("live-t0");
    const r = await netstateSampler().sample(ctx(liveFs(0), T0, { exec: rec.exec }));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.points.filter((p) => p.measurement === "netstate").map((p) => p.tags["interface"]), ["eth0", "ifb0", "ifb1"]);
    const eth0 = pointWith(r.points, "netstate", "interface", "eth0");
    assert.deepEqual(eth0.tags, { agent_id: "test-agent", host: "test-host", netns: "test-ns", interface: "eth0", qdisc: "pfifo_fast", operstate: "up" });
    assert.equal(eth0.fields["mtu_bytes"], 1400n);
    const eth0Text = fixture("cmd", "live-t0", "ethtool-k-eth0.txt");
    assert.equal(eth0.fields["generic_receive_offload"], fixtureFeature(eth0Text, "generic-receive-offload").on);
    assert.equal(eth0.fields["rx_checksumming_fixed"], fixtureFeature(eth0Text, "rx-checksumming").fixed);
    assert.equal(pointWith(r.points, "netstate", "interface", "ifb0").tags["qdisc"], "none");
    const stack = pointWith(r.points, "netstate_stack");
    assert.deepEqual(stack.tags, { agent_id: "test-agent", host: "test-host", netns: "test-ns", congestion_control: "bbr", cc_available: "bbr cubic reno" });
    assert.deepEqual(stack.fields, { cc_available_count: 3n, busy_poll_us: 0n, busy_read_us: 0n });
    assert.ok(rec.calls.some((c) => c.file === "ethtool" && c.args.join(" ") === "-k eth0"));
    assert.equal(rec.calls.filter((c) => c.file === "tc").length, 1, "one tc for every device");
    assert.deepEqual(rec.calls.find((c) => c.file === "tc")?.args, ["qdisc", "show"]);
  });

  it("re-reads offloads with ethtool only every refreshMs", async () => {
    const s = netstateSampler();
    const rec = fixtureExec("live-t0");
    const opts = { refreshMs: 5000 };
    await s.sample(ctx(liveFs(0), T0, { exec: rec.exec, options: opts }));
    const ethtoolCalls = () => rec.calls.filter((c) => c.file === "ethtool").length;
    const first = ethtoolCalls();
    assert.ok(first >= 3);
    const cached = await s.sample(ctx(liveFs(1), T0 + SECOND, { exec: rec.exec, options: opts }));
    assert.equal(ethtoolCalls(), first, "cached within the refresh interval");
    assert.equal(pointWith(cached.points, "netstate", "interface", "eth0").fields["generic_receive_offload"] !== undefined, true, "cached fields still emitted");
    await s.sample(ctx(liveFs(1), T0 + 6n * SECOND, { exec: rec.exec, options: opts }));
    assert.equal(ethtoolCalls(), 2 * first, "re-read after the interval");
  });

  it("honours the interfaces option", async () => {
    const rec = fixtureExec("live-t0");
    const r = await netstateSampler().sample(ctx(liveFs(0), T0, { exec: rec.exec, options: { interfaces: ["lo"] } }));
    const lo = pointWith(r.points, "netstate", "interface", "lo");
    assert.equal(lo.tags["qdisc"], "noqueue");
    assert.equal(lo.fields["mtu_bytes"], 65536n);
    assert.equal(lo.fields["tx_nocache_copy"], false);
    assert.deepEqual(rec.calls.map((c) => c.file).sort(), ["ethtool", "tc"]);
  });

  it("falls back to loopback in a bare namespace and skips non-interfaces", async () => {
    const sys: Record<string, string> = { "class/net/lo/type": "772\n", "class/net/lo/mtu": "65536\n", "class/net/lo/operstate": "unknown\n" };
    const base = liveFs(0);
    const fs: HostFs = {
      ...base,
      sysDir: async () => ["lo", "bonding_masters"],
      sys: async (rel) => sys[rel] ?? Promise.reject(Object.assign(new Error(`ENOENT ${rel}`), { code: "ENOENT" })),
    };
    const r = await netstateSampler().sample(ctx(fs, T0, { exec: fixtureExec("live-t0").exec }));
    assert.deepEqual(r.points.filter((p) => p.measurement === "netstate").map((p) => p.tags["interface"]), ["lo"]);
  });

  it("keeps the interface points when the congestion-control sysctl is unreadable", async () => {
    const fs: HostFs = { ...liveFs(0), proc: async (rel) => Promise.reject(Object.assign(new Error(`ENOENT ${rel}`), { code: "ENOENT" })) };
    const r = await netstateSampler().sample(ctx(fs, T0, { exec: fixtureExec("live-t0").exec }));
    assert.equal(r.points.filter((p) => p.measurement === "netstate").length, 3);
    assert.equal(r.points.filter((p) => p.measurement === "netstate_stack").length, 0);
    assert.match(r.errors?.[0] ?? "", /tcp_congestion_control not readable/);
  });

  it("reports a missing tool once and keeps the other fields", async () => {
    const s = netstateSampler();
    const rec = fixtureExec("live-t0", ["ethtool"]);
    const first = await s.sample(ctx(liveFs(0), T0, { exec: rec.exec }));
    assert.deepEqual(first.errors, ["netstate: unavailable: ethtool not found (its fields are omitted)"]);
    const eth0 = pointWith(first.points, "netstate", "interface", "eth0");
    assert.deepEqual(Object.keys(eth0.fields), ["mtu_bytes"]);
    assert.equal(eth0.tags["qdisc"], "pfifo_fast");
    const before = rec.calls.length;
    const second = await s.sample(ctx(liveFs(1), T0 + SECOND, { exec: rec.exec }));
    assert.deepEqual(second.errors, []);
    assert.ok(rec.calls.slice(before).every((c) => c.file === "tc"));
  });
});

describe("netstate: real ethtool and tc on lo", () => {
  before(async function () {
    await requireTool(this, "ethtool", ["--version"]);
    await requireTool(this, "tc", ["-V"]);
  });

  it("reads lo's offloads, root qdisc and MTU", async () => {
    const r = await netstateSampler().sample(ctx(hostFs(), T0, { exec: realExec, options: { interfaces: ["lo"] } }));
    assert.deepEqual(r.errors, []);
    const lo = pointWith(r.points, "netstate", "interface", "lo");
    assert.equal(typeof lo.fields["generic_receive_offload"], "boolean");
    assert.equal(typeof lo.fields["tcp_segmentation_offload_fixed"], "boolean");
    assert.ok(typeof lo.fields["mtu_bytes"] === "bigint" && lo.fields["mtu_bytes"] > 0n);
    assert.match(lo.tags["qdisc"] ?? "", /^[a-z_]+$/);
    assert.notEqual(pointWith(r.points, "netstate_stack").tags["congestion_control"], "");
  });
});
