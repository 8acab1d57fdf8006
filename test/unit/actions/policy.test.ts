// The agent's actions policy through the real dispatcher: every command that changes the host or makes load is
// refused unless config.actions allows it, before its handler runs (no tool is run, nothing is read); the
// refusal names the kind and the config key; read-only commands stay allowed; settings are allowed by kind and
// interface pattern or sysctl key; refusals are counted and logged once per kind.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger, silentLogger, type Logger } from "@eastwest/common";
import type { Command, Setting } from "@eastwest/proto";
import { handleCommand, type CommandDeps } from "../../../agent/src/actions/dispatch.ts";
import { compilePolicy, MONITOR_ONLY, RefusalLog, type CommandPolicy } from "../../../agent/src/actions/policy.ts";
import { loadAgentConfig } from "../../../agent/src/config.ts";
import type { Exec } from "../../../agent/src/runtime/exec.ts";
import { hostFs, type HostFs } from "../../../agent/src/runtime/hostfs.ts";
import type { RunTool } from "../../../agent/src/actions/iperf3/iperf3.run.ts";

/** `fs` noting each read in `ran`. */
function recording(fs: HostFs, ran: string[]): HostFs {
  return new Proxy(fs, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => (ran.push(`read ${String(key)} ${String(args[0])}`), (v as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}

/** Every host tool the handlers could start and every read of /proc and /sys; a refused command must reach none. */
function harness(policy: CommandPolicy, logger: Logger = silentLogger()) {
  const ran: string[] = [];
  const exec: Exec = async (file, args) => {
    ran.push([file, ...args].join(" "));
    throw new Error(`${file}: not on this test host`);
  };
  const runTool: RunTool = (file, args) => {
    ran.push([file, ...args].join(" "));
    throw new Error(`${file}: not on this test host`);
  };
  const refusals = new RefusalLog();
  const deps: CommandDeps = {
    policy,
    refusals,
    scheduler: undefined,
    logger,
    exec,
    fs: recording(hostFs("/nonexistent-proc", "/nonexistent-sys"), ran),
    runTool,
    calibrate: async () => {
      ran.push("calibrate");
      return undefined;
    },
  };
  return { ran, refusals, run: (kind: Command["kind"]) => handleCommand({ id: "c1", deadlineMs: 5000, kind }, deps) };
}

const S = (kind: string, target: string, name = "", value = "off"): Setting => ({ kind, target, name, value });
const apply = (...settings: Setting[]): Command["kind"] => ({ $case: "applySettings", value: { token: "t1", settings } });
const iperf3Client: Command["kind"] = { $case: "iperf3Client", value: { server: "127.0.0.1", port: 5201, durationS: 1, streams: 1, lengthBytes: 0, congestion: "", reverse: false, bidir: false } };
const iperf3Server: Command["kind"] = { $case: "iperf3Server", value: { port: 5201, bind: "", oneOffTimeoutMs: 0 } };

describe("actions policy (through the dispatcher)", () => {
  it("monitor-only refuses each command kind that changes the host or makes load, running nothing", async () => {
    const h = harness(MONITOR_ONLY);
    const cases: Array<[Command["kind"], string]> = [
      [iperf3Server, "refused: command iperf3Server (iperf3 traffic) is not allowed by actions.traffic"],
      [iperf3Client, "refused: command iperf3Client (iperf3 traffic) is not allowed by actions.traffic"],
      [{ $case: "hold", value: { forMs: 600_000 } }, "refused: command hold (holding this agent's samples) is not allowed by actions.hold"],
      [{ $case: "calibrate", value: {} }, "refused: command calibrate (perf bench load) is not allowed by actions.calibrate"],
      [{ $case: "collectProfile", value: { durationMs: 1000, frequencyHz: 99, callGraph: true } }, "refused: command collectProfile (perf record of every process) is not allowed by actions.profile"],
      [apply(S("ethtool_feature", "eth0", "tso")), "refused: settings kind ethtool_feature on eth0 is not allowed by actions.settings"],
      [apply(S("mtu", "eth0", "", "68")), "refused: settings kind mtu on eth0 is not allowed by actions.settings"],
      [apply(S("qdisc", "eth0", "", "pfifo")), "refused: settings kind qdisc on eth0 is not allowed by actions.settings"],
      [apply(S("sysctl", "net.ipv4.tcp_rmem", "", "4096 4096 4096")), "refused: settings kind sysctl net.ipv4.tcp_rmem is not allowed by actions.settings"],
      [{ $case: "setInterval", value: { sampler: "", intervalMs: 10, forMs: 600_000 } }, "refused: setInterval to 10 ms is faster than actions.minIntervalMs (100 ms) allows"],
    ];
    for (const [kind, message] of cases) {
      const r = await h.run(kind);
      assert.equal(r.ok, false);
      assert.equal(r.error, message);
    }
    assert.deepEqual(h.ran, [], "no tool ran");
    assert.equal(h.refusals.total, BigInt(cases.length));
  });

  it("read-only commands stay allowed under monitor-only", async () => {
    const h = harness(MONITOR_ONLY);
    const allowed: Array<Command["kind"]> = [
      { $case: "cancel", value: { commandId: "nothing-running" } },
      { $case: "restoreSettings", value: { token: "never-applied" } },
      { $case: "hold", value: { forMs: 0 } },
      { $case: "setInterval", value: { sampler: "", intervalMs: 100, forMs: 1000 } },
      { $case: "watchFlows", value: { flows: [{ port: 5201, address: "" }], forMs: 1000 } },
      { $case: "collectExitReasons", value: { durationMs: 100, pids: [] } },
    ];
    for (const kind of allowed) {
      const r = await h.run(kind);
      assert.doesNotMatch(r.error, /refused/, `${kind?.$case}: ${r.error}`);
    }
    assert.equal(h.refusals.total, 0n);
    assert.ok(h.ran.some((c) => c.startsWith("perf")), "collectExitReasons reached its tool");
  });

  it("allows traffic, hold, calibrate and profile only by their keys", async () => {
    const h = harness({ ...MONITOR_ONLY, traffic: true, hold: true, calibrate: true, profile: true, minIntervalMs: 10 });
    for (const kind of [iperf3Server, iperf3Client, { $case: "hold" as const, value: { forMs: 1000 } }, { $case: "calibrate" as const, value: {} }, { $case: "collectProfile" as const, value: { durationMs: 100, frequencyHz: 99, callGraph: false } }, { $case: "setInterval" as const, value: { sampler: "", intervalMs: 10, forMs: 1000 } }]) {
      const r = await h.run(kind);
      assert.doesNotMatch(r.error, /refused/, `${kind.$case}: ${r.error}`);
    }
    assert.ok(h.ran.some((c) => c.startsWith("iperf3")), "iperf3 was started");
    assert.ok(h.ran.includes("calibrate"));
    assert.ok(h.ran.some((c) => c.startsWith("perf record")), "collectProfile reached perf record");
    assert.equal(h.refusals.total, 0n);
  });

  it("allows settings by kind and interface pattern or sysctl key; one setting refused refuses the command", async () => {
    const config = loadAgentConfig({
      env: { EASTWEST_AGENT_ACTIONS: JSON.stringify({ settings: [{ kind: "ethtool_feature", interfaces: ["^tap", "^vnet"] }, { kind: "mtu", interfaces: ["^vnet[0-9]+$"] }, { kind: "sysctl", keys: ["net.ipv4.tcp_congestion_control"] }] }) },
      flags: {},
    });
    const h = harness(compilePolicy(config.actions));
    for (const ok of [apply(S("ethtool_feature", "tap3", "gso")), apply(S("ethtool_feature", "vnet0", "tso"), S("mtu", "vnet0", "", "9000")), apply(S("sysctl", "net.ipv4.tcp_congestion_control", "", "bbr"))]) {
      const r = await h.run(ok);
      assert.doesNotMatch(r.error, /refused/, r.error);
    }
    assert.ok(h.ran.some((r) => r.startsWith("read ")), "allowed settings reached the host probe");
    const ranBefore = h.ran.length;
    const refused: Array<[Command["kind"], string]> = [
      [apply(S("ethtool_feature", "eth0", "tso")), "refused: settings kind ethtool_feature on eth0 is not allowed by actions.settings"],
      [apply(S("ethtool_feature", "tap0", "gso"), S("ethtool_feature", "eth0", "tso"), S("ethtool_feature", "eth0", "gro")), "refused: settings kind ethtool_feature on eth0 is not allowed by actions.settings"],
      [apply(S("mtu", "vnet0x", "", "68"), S("qdisc", "vnet0", "", "pfifo")), "refused: settings kind mtu on vnet0x, settings kind qdisc on vnet0 are not allowed by actions.settings"],
      [apply(S("sysctl", "net.core.busy_poll", "", "50")), "refused: settings kind sysctl net.core.busy_poll is not allowed by actions.settings"],
      [apply(S("offload", "tap0", "gso")), "refused: settings kind offload on tap0 is not allowed by actions.settings"],
    ];
    for (const [kind, message] of refused) assert.equal((await h.run(kind)).error, message);
    assert.equal(h.ran.length, ranBefore, "a refused apply reads and changes nothing");
  });

  it("logs a refusal once per kind, counts every one", async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    const h = harness(MONITOR_ONLY, createLogger("agent", "info", sink));
    for (let i = 0; i < 5; i++) await h.run(iperf3Client);
    await h.run(apply(S("mtu", "eth0", "", "68"), S("qdisc", "eth0", "", "pfifo")));
    await h.run(apply(S("mtu", "eth1", "", "68")));
    assert.equal(h.refusals.total, 7n);
    const kinds = lines.map((l) => (JSON.parse(l) as { kind: string }).kind).sort();
    assert.deepEqual(kinds, ["iperf3Client", "settings mtu", "settings qdisc"]);
  });

  it("config: every problem of the actions section at once", () => {
    assert.throws(
      () => loadAgentConfig({ env: {}, flags: { actions: { traffic: "yes", bogus: 1, settings: [{ kind: "ethtool_feature", interfaces: ["(("] }, { kind: "sysctl", keys: ["kernel.panic"] }, { kind: "mtu" }, { kind: "qdisc", interfaces: ["^x"], keys: ["net.core.busy_poll"] }] } } }),
      (err: unknown) => {
        const text = (err as { problems: string[] }).problems.join("\n");
        for (const want of [/actions\.traffic/, /bogus/, /actions\.settings\.0\.interfaces\.0: not a valid regular expression/, /actions\.settings\.1\.keys\.0/, /actions\.settings\.2\.interfaces: kind mtu needs interfaces/, /actions\.settings\.3\.keys: kind qdisc takes interfaces/]) assert.match(text, want);
        return true;
      },
    );
    const d = loadAgentConfig({ env: {}, flags: {} });
    assert.deepEqual(d.actions, { traffic: false, hold: false, calibrate: false, profile: false, minIntervalMs: 100, settings: [] }, "monitor-only by default");
    assert.deepEqual(loadAgentConfig({ env: {}, flags: { role: "guest" } }).actions, d.actions, "the same for guests");
  });
});
