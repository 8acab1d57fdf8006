// What held the ingest thread, on a real embedded store: each store write's time is summed (storeWriteNs) and its
// maximum reported per self-report window with the event loop's delay; a slow write (a disk that stalls, injected
// by delaying the store's answer) is logged, throttled, with the group's size.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createLogger, nowNs, silentLogger, toWirePoint } from "@eastwest/common";
import { AckCode, Batch } from "@eastwest/proto";
import { Ingestor } from "../../../collector/src/ingest/ingestor.ts";
import { SeqGuard } from "../../../collector/src/ingest/seq-guard.ts";
import { decodeWithLimits } from "../../../collector/src/ingest/decode.ts";
import { newStats } from "../../../collector/src/ingest/stats.ts";
import { LOOP_RESOLUTION_MS, loopDelayNs, StallWatch } from "../../../collector/src/ingest/stalls.ts";
import { selfPoints } from "../../../collector/src/ingest/self-report.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import type { Store } from "../../../collector/src/store/types.ts";
import { tempDir } from "../../helpers/procs.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = nowNs();
const batch = (seq: bigint) =>
  decodeWithLimits(
    Buffer.from(Batch.encode({ agentId: "st1", seq, points: [toWirePoint({ measurement: "netdev", tags: { agent_id: "st1", host: "h", interface: "eth0", netns: "n" }, fields: { rx_bytes_total: seq }, timeNs: now + seq })], createdNs: now }).finish()),
  );

/** The store, its writes answered delayMs late (a stalling disk). */
function slowStore(store: Store, delayMs: number): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === "writeBatches") return async (...args: Parameters<Store["writeBatches"]>) => (await sleep(delayMs), target.writeBatches(...args));
      const v = Reflect.get(target, key, receiver) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe("stalls: the ingest thread's store writes and event-loop delay", () => {
  const dir = tempDir("stalls");
  const store = new EmbeddedStore(join(dir.path, "s.db"));
  before(() => store.open());
  after(async () => {
    await store.close();
    dir.remove();
  });

  it("a loop delay is the timer's interval minus its period, never negative", () => {
    assert.equal(loopDelayNs(LOOP_RESOLUTION_MS * 1e6 + 5e6), 5_000_000n);
    assert.equal(loopDelayNs(LOOP_RESOLUTION_MS * 1e6 - 1), 0n);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1, 0]) assert.equal(loopDelayNs(bad), 0n);
  });

  it("sees the event loop blocked, and a window starts empty after take()", async () => {
    const w = new StallWatch();
    w.start();
    try {
      await sleep(50);
      const until = performance.now() + 300;
      while (performance.now() < until); // the ingest thread held by a long synchronous step
      await sleep(50);
      const held = w.take();
      assert.ok(held.loopDelayMaxNs >= 250_000_000n, `max ${held.loopDelayMaxNs} ns after a 300 ms block`);
      assert.ok(held.loopDelayP99Ns <= held.loopDelayMaxNs);
      assert.ok(held.loopUtilization > 0.5 && held.loopUtilization <= 1, `utilization ${held.loopUtilization} over a window mostly blocked`);
      const next = w.take();
      assert.deepEqual({ ...next, loopUtilization: 0 }, { loopDelayMaxNs: 0n, loopDelayP99Ns: 0n, storeWriteMaxNs: 0n, loopUtilization: 0 }, "nothing seen since the previous take");
      await sleep(300);
      const idle = w.take();
      assert.ok(idle.loopUtilization < 0.5, `utilization ${idle.loopUtilization} over 300 ms of waiting`);
    } finally {
      w.stop();
    }
  });

  it("sums each write's time, reports the window's longest, and logs a slow write with its group", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), cb()) });
    const stats = newStats();
    const stalls = new StallWatch();
    const slow = slowStore(store, 120);
    const guard = new SeqGuard({ ledger: slow, maxSeqAhead: 1000n, logger: silentLogger() });
    const ingestor = new Ingestor({ store: slow, logger: createLogger("t", "info", sink), stats, guard, stalls, slowWriteMs: 100 });
    for (const seq of [1n, 2n]) assert.equal((await ingestor.ingest(batch(seq))).code, AckCode.ACK_CODE_STORED);
    assert.ok(stats.storeWriteNs >= 240_000_000n, `two writes of >= 120 ms: ${stats.storeWriteNs} ns`);
    const w = stalls.take();
    assert.ok(w.storeWriteMaxNs >= 120_000_000n && w.storeWriteMaxNs <= stats.storeWriteNs, `window max ${w.storeWriteMaxNs}`);
    const logged = lines.filter((l) => String(l["msg"]).startsWith("slow store write"));
    assert.equal(logged.length, 2, "one line per slow write, within the throttle's 10 a minute");
    for (const l of logged) assert.ok(l["batches"] === 1 && l["points"] === 1 && Number(l["ms"]) >= 100, JSON.stringify(l));
    const [self] = selfPoints("c1", stats, 0, nowNs(), { ...w, loopDelayMaxNs: 7n, loopDelayP99Ns: 3n, loopUtilization: 0.25 });
    assert.equal(self?.fields["store_write_ns_total"], stats.storeWriteNs);
    assert.equal(self?.fields["store_write_max_ns"], w.storeWriteMaxNs);
    assert.equal(self?.fields["event_loop_delay_max_ns"], 7n);
    assert.equal(self?.fields["event_loop_delay_p99_ns"], 3n);
    assert.equal(self?.fields["event_loop_utilization"], 0.25);
  });

  it("a group commit takes at most maxGroupPoints, and one batch larger than that alone", async () => {
    const groups: number[][] = [];
    const recording = new Proxy(store, {
      get(target, key, receiver) {
        if (key === "writeBatches") return (bs: Parameters<Store["writeBatches"]>[0]) => (groups.push(bs.map((b) => b.points.length)), target.writeBatches(bs));
        const v = Reflect.get(target, key, receiver) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const guard = new SeqGuard({ ledger: recording, maxSeqAhead: 1000n, logger: silentLogger() });
    const ingestor = new Ingestor({ store: recording, logger: silentLogger(), stats: newStats(), guard, maxGroupPoints: 3 });
    const wide = (seq: bigint, n: number) =>
      decodeWithLimits(Buffer.from(Batch.encode({ agentId: "gp1", seq, points: Array.from({ length: n }, (_, i) => toWirePoint({ measurement: "netdev", tags: { agent_id: "gp1", host: "h", interface: `e${i}`, netns: "n" }, fields: { rx_bytes_total: seq }, timeNs: now + seq })), createdNs: now }).finish()));
    // arriving together: they wait for one write, then go in groups of at most 3 points
    const acks = await Promise.all([wide(1n, 1), wide(2n, 1), wide(3n, 1), wide(4n, 1), wide(5n, 5), wide(6n, 2)].map((b) => ingestor.ingest(b)));
    assert.ok(acks.every((a) => a.code === AckCode.ACK_CODE_STORED), acks.map((a) => `${a.code} ${a.reason}`).join("; "));
    assert.deepEqual(groups.flat(), [1, 1, 1, 1, 5, 2], "every batch written once, in order");
    for (const g of groups) assert.ok(g.length === 1 || g.reduce((x, y) => x + y, 0) <= 3, `group ${JSON.stringify(g)}`);
    assert.ok(groups.some((g) => g.length > 1), `batches that arrived together shared a commit: ${JSON.stringify(groups)}`);
  });
});
