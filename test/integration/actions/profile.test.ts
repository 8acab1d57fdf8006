// collectProfile with real perf during real iperf3 traffic on 127.0.0.1, through handleCommand: the iperf3 ends'
// samples (found by the pids their iperf3 results give) show the copy terms; a run's per-end figures come out of
// the real document. As a user perf may not profile the whole system (perf_event_paranoid): "unavailable: ...".
import assert from "node:assert/strict";
import { silentLogger } from "@eastwest/common";
import type { Command, CommandResult } from "@eastwest/proto";
import { handleCommand, type CommandDeps } from "../../../agent/src/actions/dispatch.ts";
import { MONITOR_ONLY } from "../../../agent/src/actions/policy.ts";
import { realRunTool } from "../../../agent/src/actions/iperf3/iperf3.run.ts";
import { realExec, type Exec } from "../../../agent/src/runtime/exec.ts";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { endProfile, measuredTerms } from "../../../collector/src/run/profile.ts";
import { freePort, requireBinary } from "../../helpers/procs.ts";

const deps = (exec: Exec = realExec): CommandDeps => ({
  policy: { ...MONITOR_ONLY, traffic: true, profile: true },
  scheduler: undefined,
  logger: silentLogger(),
  exec,
  fs: hostFs(),
  calibrate: async () => undefined,
  runTool: realRunTool,
});

const json = (r: CommandResult): Record<string, unknown> => {
  assert.equal(r.ok, true, r.error);
  return JSON.parse(r.json) as Record<string, unknown>;
};

const profileCmd = (durationMs: number, frequencyHz = 199): Command => ({ id: `p${durationMs}`, deadlineMs: 0, kind: { $case: "collectProfile", value: { durationMs, frequencyHz, callGraph: true } } });

describe("collectProfile (real perf, real iperf3 on loopback)", function () {
  this.timeout(120_000);
  before(() => {
    requireBinary("perf");
    requireBinary("iperf3");
  });

  it("records the traffic window; the iperf3 ends show _copy_from_iter/_copy_to_iter as copies", async () => {
    const port = await freePort();
    const d = deps();
    const profile = handleCommand(profileCmd(6000), d);
    await new Promise((r) => setTimeout(r, 1500));
    const server = handleCommand({ id: "s", deadlineMs: 0, kind: { $case: "iperf3Server", value: { port, bind: "127.0.0.1", oneOffTimeoutMs: 0 } } }, d);
    const client = json(await handleCommand({ id: "c", deadlineMs: 0, kind: { $case: "iperf3Client", value: { server: "127.0.0.1", port, durationS: 3, streams: 1, lengthBytes: 0, congestion: "", reverse: false, bidir: false } } }, d));
    const srv = json(await server);
    const doc = json(await profile);
    assert.equal(doc.available, true, String(doc.reason));
    assert.equal(doc.event, "cpu-clock");
    assert.equal(doc.frequencyHz, 199);
    assert.ok(typeof client.pid === "number" && typeof srv.pid === "number", "iperf3 results give their pids");
    const procs = doc.processes as Array<{ pid: number; comm: string; samples: number; terms: Record<string, number> }>;
    const copies = [client.pid, srv.pid].map((pid) => procs.find((p) => p.pid === pid)?.terms.copies ?? 0);
    assert.ok(copies[0]! > 0 && copies[1]! > 0, `copies at both ends: ${copies.join(", ")}`);
    const bytes = ((client.iperf3 as { end: { sum_received: { bytes: number } } }).end.sum_received.bytes);
    const packets = bytes / 65_536;
    const ends = [
      endProfile({ side: "client", role: "sender", agentId: "a", profiledBy: "a", result: { doc }, pid: client.pid as number }, packets),
      endProfile({ side: "server", role: "receiver", agentId: "a", profiledBy: "a", result: { doc }, pid: srv.pid as number }, packets),
    ];
    for (const e of ends) {
      assert.equal(e.status, "measured");
      assert.ok((e.us_per_packet.copies ?? 0) > 0 && (e.cpu_us_per_packet ?? 0) > (e.us_per_packet.copies ?? 0));
      assert.ok((e.explained_fraction ?? 0) > 0.5, `${e.role} explained ${e.explained_fraction}`);
    }
    const m = measuredTerms(ends);
    assert.ok(m !== undefined && (m.us.copies ?? 0) > 0);
  });

  it("as an unprivileged user: unavailable with perf's reason, no crash", async function () {
    requireBinary("setpriv");
    // why: perf run as nobody meets kernel.perf_event_paranoid (2 here) when it asks for every CPU (-a).
    const asNobody: Exec = (file, args, o) => realExec("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", file, ...args], o);
    const doc = json(await handleCommand(profileCmd(300), deps(asNobody)));
    assert.equal(doc.available, false);
    assert.match(String(doc.reason), /^unavailable: (perf_event_paranoid is \d|perf: permission denied)/);
  });

  it("refused unless actions.profile allows it", async () => {
    const r = await handleCommand(profileCmd(300), { ...deps(), policy: { ...MONITOR_ONLY, traffic: true } });
    assert.equal(r.ok, false);
    assert.equal(r.error, "refused: command collectProfile (perf record of every process) is not allowed by actions.profile");
  });
});
