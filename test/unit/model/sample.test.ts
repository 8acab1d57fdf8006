import assert from "node:assert/strict";
import { measurement } from "@eastwest/common";
import { breakdown, PAPER_CONSTANTS } from "../../../collector/src/model/cost-model.ts";
import { breakdownSample } from "../../../collector/src/model/sample.ts";

describe("cost_breakdown point", () => {
  const tags = { agent_id: "a1", host: "h1", vm: "", run_id: "r1" };

  it("carries the version, the constants and every term, within the schema", () => {
    const b = breakdown({ ...PAPER_CONSTANTS }, { packets_per_s: 78_201, exits_per_packet: 3 });
    const s = breakdownSample(b, tags, 7n);
    const def = measurement("cost_breakdown");
    assert.ok(def);
    assert.deepEqual(Object.keys(s.tags).sort(), [...def.tags].sort());
    for (const f of Object.keys(s.fields)) assert.ok(f in def.fields, f);
    assert.equal(s.tags.model_version, "1");
    assert.deepEqual([s.tags.copies_source, s.tags.syscalls_source, s.tags.exits_source, s.tags.fit], ["model", "model", "observed", "remainder"]);
    assert.equal(s.fields.exits_per_packet, 3);
    assert.equal(s.fields.const_copy_us, 1.2);
    assert.equal(s.fields.const_exit_us, 0.5);
    assert.equal(s.timeNs, 7n);
  });

  it("omits the figures a window without a rate does not have", () => {
    const s = breakdownSample(breakdown({ ...PAPER_CONSTANTS, copy_us: null }, {}), tags, 1n);
    assert.equal(s.tags.fit, "unmeasured");
    for (const f of ["measured_per_packet_us", "measured_packets_per_s", "unexplained_us", "unexplained_pct", "const_copy_us"]) assert.equal(f in s.fields, false, f);
    assert.ok(Object.values(s.fields).every((v) => typeof v === "number" && Number.isFinite(v)));
  });
});
