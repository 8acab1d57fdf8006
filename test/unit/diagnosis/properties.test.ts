// Any record gives a diagnosis: whatever the record and samples hold (hostile JSON, a recorded run with any part
// replaced), diagnose() returns one finding per rule, each with a verdict and either evidence or a cannot-tell
// reason, no NaN or Infinity, serialisable; its points conform to the schema.
import assert from "node:assert/strict";
import fc from "fast-check";
import { measurement, toJson } from "@eastwest/common";
import { diagnose } from "../../../collector/src/diagnosis/engine.ts";
import { formatDiagnosis } from "../../../collector/src/diagnosis/format.ts";
import { diagnosisPoints } from "../../../collector/src/diagnosis/points.ts";
import { RULES } from "../../../collector/src/diagnosis/rules/index.ts";
import { VERDICTS, type Diagnosis } from "../../../collector/src/diagnosis/types.ts";
import { anyNumber } from "../../helpers/arbitraries.ts";
import { loadFixture, SCENARIOS } from "./fixture.ts";

function check(d: Diagnosis): void {
  assert.equal(d.findings.length, RULES.length);
  for (const f of d.findings) {
    assert.ok(VERDICTS.includes(f.verdict), f.verdict);
    assert.ok(f.confidence >= 0 && f.confidence <= 1, `${f.rule} confidence ${f.confidence}`);
    if (f.verdict === "cannot tell") assert.match(f.explanation, / unavailable: /, f.rule);
    else assert.ok(f.evidence.length > 0, `${f.rule} has evidence`);
    if (f.key?.value != null) assert.ok(Number.isFinite(f.key.value), `${f.rule} key ${f.key.value}`);
    for (const e of f.evidence) assert.ok(typeof e.value !== "number" || Number.isFinite(e.value), `${f.rule} ${e.name}`);
  }
  JSON.parse(toJson(d));
  assert.ok(!/NaN|Infinity/.test(formatDiagnosis(d).join("\n")));
}

/** Sets the value at a path of keys (indices into the keys present at each level) in a copy of doc. */
function replaced(doc: unknown, path: number[], value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  let at: Record<string, unknown> = copy;
  for (let i = 0; i < path.length; i++) {
    const keys = Object.keys(at);
    if (keys.length === 0) break;
    const k = keys[(path[i] as number) % keys.length] as string;
    const next = at[k];
    if (i === path.length - 1 || typeof next !== "object" || next === null) {
      at[k] = value;
      break;
    }
    at = next as Record<string, unknown>;
  }
  return copy;
}

const hostileValue = fc.oneof(fc.anything(), anyNumber, fc.bigInt(), fc.constant(null), fc.constant(undefined), fc.string());

describe("diagnosis: properties", () => {
  it("hostile records and samples give a diagnosis, never a throw", () => {
    fc.assert(fc.property(fc.anything(), fc.anything(), (rec, samples) => check(diagnose(rec as never, samples as never))), { numRuns: 300 });
    fc.assert(fc.property(fc.record({ results: fc.anything(), hostSide: fc.anything() }), (rec) => check(diagnose(rec as never))), { numRuns: 300 });
  });

  it("a recorded run with any one part replaced by anything gives a diagnosis", () => {
    const fxs = SCENARIOS.map(loadFixture);
    const path = fc.array(fc.nat(), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(fc.nat({ max: fxs.length - 1 }), path, path, hostileValue, fc.boolean(), (i, recPath, samplePath, v, inSamples) => {
        const fx = fxs[i] as (typeof fxs)[number];
        const record = inSamples ? fx.record : replaced(fx.record, recPath, v);
        const samples = inSamples ? replaced(fx.samples, samplePath, v) : fx.samples;
        check(diagnose(record as never, samples as never));
      }),
      { numRuns: 400, endOnFailure: true },
    );
  });

  it("a figure a rule derives out of range is cannot tell, naming it, not 0 or Infinity (found by the property above)", () => {
    const fx = loadFixture("default");
    const record = structuredClone(fx.record) as typeof fx.record & { results: { model: { efficiency: number } } };
    record.results.model.efficiency = Number.MAX_VALUE; // efficiency x 100 overflows
    const d = diagnose(record, fx.samples);
    check(d);
    const f = d.findings.find((x) => x.rule === "model-efficiency");
    assert.equal(f?.verdict, "cannot tell");
    assert.match(f?.explanation ?? "", /efficiency is not a finite number/);
  });

  it("diagnosis points conform to the schema: one per finding, tags and fields as declared", () => {
    const fx = loadFixture("checksum-off");
    const d = diagnose(fx.record, fx.samples);
    const points = diagnosisPoints("run-1", d, 7n);
    assert.equal(points.length, d.findings.length);
    const def = measurement("diagnosis");
    assert.ok(def);
    for (const p of points) {
      assert.deepEqual(Object.keys(p.tags).sort(), [...def.tags].sort());
      for (const [k, v] of Object.entries(p.fields)) assert.ok(def.fields[k] === "float" && typeof v === "number" && Number.isFinite(v), k);
      assert.equal(p.timeNs, 7n);
    }
    const top = points[0];
    assert.deepEqual([top?.tags["rule"], top?.tags["verdict"], top?.tags["end"], top?.fields["key_value"]], ["offloads", "bottleneck", "sender", 1.26]);
    assert.ok(points.some((p) => p.tags["verdict"] === "cannot tell" && p.fields["key_value"] === undefined && p.fields["confidence"] === 0));
  });
});
