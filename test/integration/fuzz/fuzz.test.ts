// The fuzzer (test/fuzz) for a bounded time against a real collector process with tight limits, while a good
// agent streams: the collector stays up, /healthz answers throughout, every good batch is stored (acks, and the
// registry's highest seq without gaps), hostile frames are refused by reason (limits by name), and its log stays
// bounded: lines throttled and cut. `npm run fuzz -w @eastwest/test -- --seconds 600` runs it for long.
import assert from "node:assert/strict";
import { runFuzz } from "../../fuzz/fuzz.ts";
import { startCollector, type CollectorProcess } from "../../fuzz/collector.ts";
import { getJson, killAll } from "../../helpers/procs.ts";

describe("fuzzer against a real collector (10 s)", function () {
  this.timeout(90_000);
  let col: CollectorProcess | undefined;

  after(async () => {
    await col?.stop();
    await killAll();
  });

  it("refuses hostile frames by reason while a good agent's batches are all stored", async () => {
    col = await startCollector({ limits: { maxNewSeriesPerBatch: 1000, maxSeriesPerAgent: 4000, maxAgents: 40, maxMessageBytes: 2 * 1024 * 1024 } });
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
    const lines = col.proc.stderr().split("\n").filter((l) => l.length > 0);
    assert.ok(lines.every((l) => l.length < 4096), `a log line of ${Math.max(...lines.map((l) => l.length))} chars`);
    assert.ok(lines.length < report.framesSent / 10, `${lines.length} log lines for ${report.framesSent} frames`);
    assert.ok(lines.some((l) => l.includes('"suppressed"')) || lines.length < 200, "throttled lines say how many were suppressed");
  });
});
