// run_window points: the live marker and the window's point conform to the schema and carry what the dashboards'
// region annotations read (running; the window's start as the point's time and its end in Unix ms).
import assert from "node:assert/strict";
import { measurement } from "@eastwest/common";
import { runningPoint, windowPoint } from "../../../collector/src/run/window.ts";

const ids = { runId: "run-1", serverAgentId: "srv", clientAgentId: "cli" };

function conforms(p: { measurement: string; tags: Record<string, string>; fields: Record<string, unknown> }): void {
  const def = measurement(p.measurement);
  assert.ok(def, p.measurement);
  assert.deepEqual(Object.keys(p.tags).sort(), [...def.tags].sort());
  for (const [f, v] of Object.entries(p.fields)) {
    assert.ok(f in def.fields, `${p.measurement}.${f} in the schema`);
    assert.equal(def.fields[f] === "bool" ? "boolean" : "number", typeof v, `${p.measurement}.${f}`);
  }
}

describe("run_window points", () => {
  it("the live marker says running or not, at the given time", () => {
    const on = runningPoint(ids, true, 5n);
    conforms(on);
    assert.deepEqual([on.fields, on.timeNs, on.tags.run_id], [{ running: true }, 5n, "run-1"]);
    assert.deepEqual(runningPoint(ids, false, 6n).fields, { running: false });
  });

  it("the window's point sits at its start and carries its end in ms", () => {
    const p = windowPoint(ids, { fromNs: 1_700_000_000_000_000_000n, toNs: 1_700_000_012_345_678_901n });
    conforms(p);
    assert.equal(p.timeNs, 1_700_000_000_000_000_000n);
    assert.equal(p.fields.end_timestamp_ms, 1_700_000_012_345);
  });
});
