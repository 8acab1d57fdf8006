// The collector's per-agent clocks (collector/src/clock/clocks.ts) and the agent's side of the round trips
// (agent/src/transport/clock.ts).
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger } from "@eastwest/common";
import type { ClockEstimate } from "@eastwest/proto";
import { Clocks, withClocks } from "../../../collector/src/clock/clocks.ts";
import { ClockTracker } from "../../../agent/src/transport/clock.ts";

const MS = 1_000_000n;
const T0 = 1_790_000_000_000n * MS;

function capture(): { logger: ReturnType<typeof createLogger>; lines: () => Array<{ level: number; msg: string }> } {
  const out: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, cb) => (out.push(String(chunk)), cb()) });
  return { logger: createLogger("t", "info", sink as never), lines: () => out.join("").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

describe("collector clocks", () => {
  it("estimates from this collector's exchanges only; the API view says why when unknown", () => {
    const clocks = new Clocks("col-1", { now: () => T0 + 10n * MS });
    assert.deepEqual([clocks.view("a").clockOffsetMs, clocks.view("a").clock.known], [null, false]);
    assert.match(clocks.view("a").clock.reason ?? "", /no round trip yet/);
    clocks.report("a", { t1Ns: T0 + 500n * MS, t2Ns: T0 + 1n * MS, t3Ns: T0 + 2n * MS, t4Ns: T0 + 503n * MS, collectorId: "col-2" }, "nats");
    assert.equal(clocks.view("a").clock.known, false, "another collector's exchange is ignored");
    clocks.report("a", { t1Ns: T0 + 500n * MS, t2Ns: T0 + 1n * MS, t3Ns: T0 + 2n * MS, t4Ns: T0 + 503n * MS, collectorId: "col-1" }, "nats");
    const v = clocks.view("a");
    assert.equal(v.clockOffsetMs, 500);
    assert.equal(v.clock.via, "nats");
    assert.ok(v.clockUncertaintyMs !== null && v.clockUncertaintyMs >= 2 && v.clockUncertaintyMs < 2.1);
    const wire = clocks.toWire("a");
    assert.deepEqual([wire.known, wire.offsetNs, wire.boundNs], [true, 500n * MS, 100n * MS]);
  });

  it("counts a refused exchange and shows the last reason", () => {
    const clocks = new Clocks("col-1", { now: () => T0 });
    clocks.report("a", { t1Ns: T0, t2Ns: T0, t3Ns: T0 + 100n * MS, t4Ns: T0 + 1n * MS, collectorId: "" }, "grpc");
    const v = clocks.view("a");
    assert.equal(v.clock.refused, 1);
    assert.match(v.clock.lastRefusal ?? "", /t3 is in the collector's future|negative delay/);
  });

  it("withClocks adds the clock to every agent record", async () => {
    const clocks = new Clocks("col-1");
    const dir = withClocks({ list: async () => [{ agentId: "a" }], get: async (id: string) => (id === "a" ? { agentId: "a" } : undefined) }, clocks);
    assert.equal((await dir.list())[0]?.clockOffsetMs, null);
    assert.equal((await dir.get("a"))?.clock.boundMs, 100);
    assert.equal(await dir.get("b"), undefined);
  });
});

describe("agent clock tracker", () => {
  const estimate = (offsetMs: bigint): ClockEstimate => ({ known: true, offsetNs: offsetMs * MS, uncertaintyNs: 2n * MS, boundNs: 100n * MS, reason: "" });

  it("finishes an exchange only with the reply to its pending probe, and reports it in the next probe", () => {
    const t = new ClockTracker(capture().logger);
    const p = t.probe();
    assert.equal(p.last, undefined);
    t.onReply({ probeSentNs: p.sentNs - 1n, receivedNs: p.sentNs, sentNs: p.sentNs, estimate: undefined }, "col-1");
    const last = () => t.last;
    assert.equal(last(), undefined, "a reply to another probe is ignored");
    t.onReply({ probeSentNs: p.sentNs, receivedNs: p.sentNs + 1n, sentNs: p.sentNs + 2n, estimate: undefined }, "col-1");
    assert.equal(last()?.t1Ns, p.sentNs);
    assert.equal(last()?.collectorId, "col-1");
    assert.ok((last()?.t4Ns ?? 0n) >= p.sentNs);
    assert.deepEqual(t.probe().last, t.last);
  });

  it("logs the offset once when first known, warns over the bound, and says when it is back within", () => {
    const c = capture();
    const t = new ClockTracker(c.logger);
    t.note({ known: false, offsetNs: 0n, uncertaintyNs: 0n, boundNs: 100n * MS, reason: "no round trip yet" });
    for (const ms of [3000n, 3001n, 5n, 4n]) t.note(estimate(ms));
    const lines = c.lines();
    assert.deepEqual(lines.map((l) => [l.level, l.msg.slice(0, 30)]), [[30, "clock offset to the collector "], [40, "this agent's clock is off the "], [30, "clock offset back within the b"]]);
  });
});
