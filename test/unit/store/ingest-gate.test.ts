// The ingest gate (store/embedded/file.ts): the compaction thread waits while ingest commits, and never longer than
// it was told to.
import assert from "node:assert/strict";
import { IngestGate, yieldToIngest } from "../../../collector/src/store/embedded/file.ts";

describe("embedded store: the ingest gate", () => {
  it("counts commits in progress; yielding returns at once at 0 and after at most maxMs while one is held", () => {
    const gate = new IngestGate();
    const t0 = performance.now();
    yieldToIngest(gate.cell, 10_000);
    assert.ok(performance.now() - t0 < 5_000, "no commit: no wait");
    gate.enter();
    gate.enter();
    assert.equal(Atomics.load(gate.cell, 0), 2);
    const t1 = performance.now();
    yieldToIngest(gate.cell, 30);
    assert.ok(performance.now() - t1 >= 29, "held: waits until maxMs");
    gate.leave();
    gate.leave();
    assert.equal(Atomics.load(gate.cell, 0), 0);
  });
});
