// The fuzzer (test/fuzz) for a bounded time against a real collector process with tight limits, while a good
// agent streams: the collector stays up, /healthz answers throughout, every good batch is stored (acks, and the
// registry's highest seq without gaps), hostile frames are refused by reason (limits by name), and its log stays
// bounded: lines throttled and cut. `npm run fuzz -w @eastwest/test -- --seconds 600` runs it for long.
import assert from "node:assert/strict";
import { runFuzz } from "../../fuzz/fuzz.ts";
import { startCollector, type CollectorProcess } from "../../fuzz/collector.ts";
import { getJson, killAll, waitFor } from "../../helpers/procs.ts";

interface Latest {
  rows: Array<{ tags: Record<string, string>; fields: Record<string, number> }>;
}

describe("fuzzer against a real collector (10 s)", function () {
  this.timeout(90_000);
  let col: CollectorProcess | undefined;

  after(async () => {
    await col?.stop();
    await killAll();
  });

  it("refuses hostile frames by reason while a good agent's batches are all stored", async () => {
    col = await startCollector({ selfIntervalMs: 500, limits: { maxNewSeriesPerBatch: 1000, maxSeriesPerAgent: 4000, maxAgents: 40, maxMessageBytes: 2 * 1024 * 1024 } });
    const report = await runFuzz({ target: col.grpc, http: col.http, pid: col.proc.pid, seconds: 10, goodAgentId: "good-agent" });
    assert.deepEqual(report.problems, [], JSON.stringify(report, null, 1));
    assert.ok(report.framesSent > 500, `only ${report.framesSent} frames sent`);
    assert.ok(report.good.batchesSent > 50, `good agent sent only ${report.good.batchesSent}`);
    for (const kind of ["random_bytes", "mutated", "non_finite", "invalid_utf8", "seq_edges", "huge_tag_number"]) assert.ok((report.sentByKind[kind] ?? 0) > 0, `no ${kind} frame sent`);
    const answers = Object.keys(report.answers).join("\n");
    for (const expected of [/limit maxTagsPerPoint/, /limit maxNewSeriesPerBatch/, /not finite/, /not valid UTF-/, /undecodable frame/, /RESOURCE_EXHAUSTED/]) assert.match(answers, expected);
    const detail = await getJson<{ agent: { highestSeq: number }; gaps: unknown[] }>(`${col.http}/api/v1/agents/good-agent`);
    assert.equal(BigInt(detail.agent.highestSeq), BigInt(report.good.batchesSent));
    assert.deepEqual(detail.gaps, []);
    // The refusals, per limit, in the collector's own points.
    const api = col.http;
    const refused = await waitFor(async () => {
      const { rows } = await getJson<Latest>(`${api}/api/v1/latest?measurement=eastwest_collector_limit`);
      const by = Object.fromEntries(rows.map((r) => [r.tags["limit"], Number(r.fields["refused_total"])]));
      return (by["maxTagsPerPoint"] ?? 0) > 0 && (by["maxNewSeriesPerBatch"] ?? 0) > 0 ? by : undefined;
    }, 10_000, "per-limit refusals in eastwest_collector_limit");
    assert.equal(refused["maxAgents"] !== undefined, true, "every limit has a row");
    const own = await getJson<Latest>(`${api}/api/v1/latest?measurement=eastwest_collector`);
    assert.ok(Number(own.rows[0]?.fields["frames_undecodable_total"]) > 0, JSON.stringify(own.rows));
    assert.equal(Number(own.rows[0]?.fields["handler_errors_total"]), 0, "no handler failed");
    const lines = col.proc.stderr().split("\n").filter((l) => l.length > 0);
    assert.ok(lines.every((l) => l.length < 4096), `a log line of ${Math.max(...lines.map((l) => l.length))} chars`);
    assert.ok(lines.length < report.framesSent / 10, `${lines.length} log lines for ${report.framesSent} frames`);
    // Throttled: at most 10 lines per kind of line a minute (the unit test shows the "suppressed" count).
    const byMsg: Record<string, number> = {};
    for (const l of lines.filter((x) => x.startsWith("{"))) byMsg[(JSON.parse(l) as { msg: string }).msg] = (byMsg[(JSON.parse(l) as { msg: string }).msg] ?? 0) + 1;
    assert.ok(Object.values(byMsg).every((n) => n <= 60), JSON.stringify(byMsg));
  });
});
