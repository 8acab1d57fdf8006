// `eastwest demo` end to end as root: namespaces on a bridge, three agents,
// an iperf3 run; the run's figures agree with iperf3 and with `ip -s link`,
// and nothing is left behind.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SCHED_IDLE, statPolicy } from "../../../common/src/sched.ts";
import { parseExact } from "../../../collector/src/store/json.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import type { RunRecord } from "../../../collector/src/run/runner.ts";
import { requireBinary, start, tempDir } from "../../helpers/procs.ts";

/** Links and namespaces named with this demo's own prefix (other labs may run at the same time). */
function leftovers(prefix: string): string[] {
  const links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" });
  const nss = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
  return [...links.split("\n"), ...nss.split("\n")].filter((l) => new RegExp(`\\b${prefix}`).test(l));
}

/** iperf3 processes on this demo's subnet ("a.b.c"): only its own are ours to judge. */
function iperfProcesses(net: string): string[] {
  try {
    return execFileSync("pgrep", ["-a", "iperf3"], { encoding: "utf8" }).trim().split("\n").filter((l) => l.includes(`${net}.`));
  } catch {
    return [];
  }
}

describe("eastwest demo (namespaces on a bridge)", function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    requireBinary("ip");
    requireBinary("iperf3");
    assert.equal(process.getuid?.(), 0, "the demo test needs root");
    dir = tempDir("demo");
  });
  after(() => dir.remove());

  it("runs iperf3 between the namespaces, agrees with iperf3 within 2 %, and removes everything", async () => {
    const p = start(["demo", "--duration-s", "4", "--json", "--data", join(dir.path, "d.db")]);
    // why: the demo's collector shares the host with the traffic, so it puts itself under SCHED_IDLE once its agents run.
    const policies = new Set<number>();
    const watch = setInterval(() => {
      try {
        policies.add(statPolicy(readFileSync(`/proc/${p.pid}/stat`, "utf8")));
      } catch {
        /* exited */
      }
    }, 100);
    const code = await p.exited;
    clearInterval(watch);
    assert.ok(policies.has(SCHED_IDLE), `the demo's policies seen: ${[...policies]}`);
    assert.equal(code, 0, p.stderr().slice(-3000));
    const text = p.stdout();
    const json = text.slice(text.indexOf("\n{") + 1, text.lastIndexOf("\n}") + 2);
    const record = parseExact(json) as RunRecord;
    const r = record.results;
    assert.equal(r.client.agent_id, "demo-ns0");
    assert.equal(r.server.agent_id, "demo-ns1");
    assert.match(r.client.netdev.interface ?? "", /^ewd[0-9a-f]{3}n0$/, "a prefix of its own: ewd + 3 hex digits");
    assert.ok(r.throughput.iperf3_receiver_bits_per_s > 1e8, "traffic flowed");
    for (const [side, agreement] of [["sender", r.throughput.sender_agreement], ["receiver", r.throughput.receiver_agreement]] as const) {
      assert.ok(agreement !== null && Math.abs(agreement - 1) < 0.02, `${side} netdev vs iperf3: ${agreement}`);
    }
    // bytes per packet on a veth carry GSO/GRO sizes, far above one MTU
    assert.ok((r.client.netdev.bytes_per_packet ?? 0) > 1500);
    assert.ok(r.server.cpu.samples > 0 && r.client.cpu.samples > 0);
    assert.equal(r.model.breakdown.model_version ?? r.model.model_version, "1");
    const exits = r.model.breakdown.terms.find((t: { term: string }) => t.term === "exits") as { total_us: number; reason?: string } | undefined;
    assert.ok(exits && exits.total_us === 0, "no exit source here: exits term is zero");
    // measured terms: one perf cpu-clock profile of the host covers both ends (the same machine), found by iperf3's pids
    const ends = r.profile?.ends ?? [];
    assert.deepEqual(ends.map((e) => [e.role, e.status, e.profiled_by === ends[0]?.profiled_by]), [["receiver", "measured", true], ["sender", "measured", true]], JSON.stringify(ends.map((e) => e.status)));
    for (const e of ends) assert.ok((e.us_per_packet.copies ?? 0) > 0 && (e.explained_fraction ?? 0) > 0.5, `${e.role}: ${JSON.stringify(e.us_per_packet)}`);
    const copies = r.model.breakdown.terms.find((t: { term: string }) => t.term === "copies");
    assert.equal(copies?.source, "measured");
    assert.match(copies?.reason ?? "", /^measured [\d.]+ us \(perf cpu-clock/);
    assert.equal(r.model.breakdown.unexplained_basis, "cpu_time");
    // the namespace agents share the host's machine UUID: no warning about a VM that does not exist
    assert.ok(!r.warnings.some((w) => /no host agent reports a VM/.test(w)), r.warnings.join("\n"));
    assert.match(r.model.derivations["exits_per_packet"] ?? "", /share their host agent's machine UUID .*not in VMs/);
    // why: the demo names what it makes with a prefix and a subnet of its own, and says which.
    const own = /bridge (ewd[0-9a-f]{3})br0 (10\.77\.\d{1,3})\.1\/24/.exec(text);
    assert.ok(own, "the demo names its bridge and subnet");
    assert.deepEqual(leftovers(own[1] as string), [], "no namespace or link left");
    assert.deepEqual(iperfProcesses(own[2] as string), [], "no iperf3 left");
    assert.match(text, /data kept in/);
    const store = new EmbeddedStore(join(dir.path, "d.db"));
    await store.open();
    const stored = await store.getRecord("run", record.id);
    assert.ok(stored, "the run record is kept in the store");
    const points = await store.latest({ measurement: "cost_breakdown" });
    assert.ok(points.length > 0, "the breakdown is stored as points");
    await store.close();
  });
});
