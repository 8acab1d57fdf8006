import assert from "node:assert/strict";
import type { Sample } from "@eastwest/common";
import { Batcher } from "../../../agent/src/runtime/batcher.ts";

function pts(from: number, n: number): Sample[] {
  return Array.from({ length: n }, (_, i) => ({ measurement: "m", tags: {}, fields: { v: BigInt(from + i) }, timeNs: 1n }));
}

function values(batch: Sample[]): bigint[] {
  return batch.map((p) => p.fields["v"] as bigint);
}

/** A Batcher whose emitted batches are recorded; `next()` resolves on the next emit. */
function recorder(maxPoints: number, maxDelayMs: number) {
  const batches: Sample[][] = [];
  let waiter: ((b: Sample[]) => void) | undefined;
  const batcher = new Batcher({
    maxPoints,
    maxDelayMs,
    emit: (b) => {
      batches.push(b);
      waiter?.(b);
      waiter = undefined;
    },
  });
  const next = (): Promise<Sample[]> => new Promise((resolve) => (waiter = resolve));
  return { batcher, batches, next };
}

describe("Batcher", () => {
  it("flushes synchronously when a batch reaches maxPoints, in order, and keeps the rest pending", () => {
    const { batcher, batches } = recorder(3, 60_000);
    batcher.add(pts(0, 7));
    assert.deepEqual(batches.map(values), [[0n, 1n, 2n], [3n, 4n, 5n]]);
    batcher.add(pts(7, 2));
    assert.deepEqual(batches.map(values).at(-1), [6n, 7n, 8n]);
    batcher.close();
  });

  it("flushes a partial batch once the oldest point has waited maxDelayMs", async () => {
    const { batcher, batches, next } = recorder(100, 20);
    const started = Date.now();
    const emitted = next();
    batcher.add(pts(0, 2));
    batcher.add(pts(2, 1));
    assert.equal(batches.length, 0);
    assert.deepEqual(values(await emitted), [0n, 1n, 2n]);
    assert.ok(Date.now() - started >= 15, "not before the delay");
    const again = next();
    batcher.add(pts(3, 1));
    assert.deepEqual(values(await again), [3n], "a new delay starts with the next point");
  });

  it("a size flush restarts the delay for the points left over", async () => {
    const { batcher, batches, next } = recorder(2, 20);
    batcher.add(pts(0, 3));
    assert.deepEqual(batches.map(values), [[0n, 1n]]);
    assert.deepEqual(values(await next()), [2n]);
  });

  it("close flushes what is pending; flush with nothing pending emits nothing", () => {
    const { batcher, batches } = recorder(10, 60_000);
    batcher.flush();
    batcher.add([]);
    batcher.add(pts(0, 1));
    batcher.close();
    batcher.close();
    assert.deepEqual(batches.map(values), [[0n]]);
  });
});
