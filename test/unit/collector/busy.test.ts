// Busy notices (collector/src/ingest/busy.ts) on a scripted clock: a stream is told it is busy once its waiting
// batches have had no ack for everyMs, again every everyMs, never while acks come, never after it ended.
import assert from "node:assert/strict";
import type { Busy } from "@eastwest/proto";
import { BusyNotices } from "../../../collector/src/ingest/busy.ts";

function harness(everyMs = 1000) {
  let now = 0;
  const sent: Array<{ stream: string; busy: Busy; at: number }> = [];
  const n = new BusyNotices<string>(everyMs, (stream, busy) => sent.push({ stream, busy, at: now }), () => now);
  return { n, sent, at: (t: number) => ((now = t), n.tick()) };
}

describe("busy notices", () => {
  it("tells a stream whose batches wait everyMs without an ack, then again every everyMs, with how many and how long", () => {
    const { n, sent, at } = harness();
    n.admitted("a");
    n.admitted("a");
    at(999);
    assert.equal(sent.length, 0, "not before everyMs");
    at(1000);
    assert.deepEqual(sent, [{ stream: "a", busy: { batchesWaiting: 2, waitingMs: 1000n }, at: 1000 }]);
    at(1500);
    assert.equal(sent.length, 1, "at most one notice per everyMs");
    at(2000);
    assert.deepEqual(sent[1]?.busy, { batchesWaiting: 2, waitingMs: 2000n });
    n.close();
  });

  it("an ack is progress: the wait starts again from it; a stream with nothing waiting is never told", () => {
    const { n, sent, at } = harness();
    n.admitted("a");
    n.admitted("a");
    n.admitted("b");
    at(600);
    n.settled("a"); // one of a's batches acked at 600
    n.settled("b"); // b has nothing waiting now
    at(1200);
    assert.equal(sent.length, 0, "a made progress at 600; b has nothing waiting");
    at(1600);
    assert.deepEqual(sent.map((s) => [s.stream, s.busy.batchesWaiting, s.busy.waitingMs]), [["a", 1, 1000n]]);
    n.close();
  });

  it("an ended stream is forgotten, and the timer stops once no stream waits", () => {
    const { n, sent, at } = harness();
    n.admitted("a");
    n.forget("a");
    at(5000);
    assert.equal(sent.length, 0);
    n.admitted("b");
    n.settled("b");
    at(10_000);
    assert.equal(sent.length, 0);
    n.close();
  });
});
