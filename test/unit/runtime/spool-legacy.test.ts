import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Sample } from "@eastwest/common";
import { decodeSpool, encodeSpool, legacySpoolFile, takeSpool } from "../../../agent/src/runtime/spool-legacy.ts";
import { tempDir } from "../../helpers/procs.ts";

const point = (i: number, fields: Sample["fields"] = { n: BigInt(i) }): Sample => ({ measurement: "m", tags: { agent_id: "a1", k: `v${i}` }, fields, timeNs: 1_800_000_000_000_000_000n + BigInt(i) });

describe("agent spool of earlier versions (<id>.jsonl, read once at start)", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("spool")));
  afterEach(() => dir.remove());

  it("round-trips every field kind, whole", () => {
    const fields: Sample["fields"] = {
      big: 2n ** 64n - 1n,
      neg: -(2n ** 63n),
      f: 0.1 + 0.2,
      nan: Number.NaN,
      inf: Number.NEGATIVE_INFINITY,
      negzero: -0,
      yes: true,
      no: false,
      text: 'a "quoted"\nline, ünïcode',
      empty: "",
    };
    const batches = [{ points: [point(1, fields), point(2)], createdNs: 5n }, { points: [point(3)], createdNs: 6n }];
    const text = encodeSpool(batches);
    assert.equal(text.split("\n").length, 3, "one line per batch");
    const back = decodeSpool(text);
    assert.deepEqual(back.problems, []);
    assert.deepEqual(back.batches, batches);
    assert.ok(Object.is(back.batches[0]?.points[0]?.fields["negzero"], -0));
  });

  it("skips lines that do not parse, names them, and keeps the file aside", () => {
    const file = legacySpoolFile(dir.path, "a1");
    const good = encodeSpool([{ points: [point(1)], createdNs: 1n }]).trim();
    const lines = [
      good,
      "{not json",
      JSON.stringify({ v: 2, createdNs: "1", points: [] }),
      JSON.stringify({ v: 1, createdNs: "1", points: [{ m: "m", t: {}, f: [["x", "i", "1.5"]], ns: "1" }] }),
      JSON.stringify({ v: 1, createdNs: "1", points: [{ m: "m", t: { a: 1 }, f: [["x", "b", "1"]], ns: "1" }] }),
      JSON.stringify({ v: 1, createdNs: "x", points: [{ m: "m", t: {}, f: [["x", "f", "1"]], ns: "1" }] }),
      JSON.stringify({ v: 1, createdNs: "1", points: [{ m: "m", t: {}, f: [["x", "f", "one"]], ns: "1" }] }),
      JSON.stringify({ v: 1, createdNs: "1", points: [{ m: "m", t: {}, f: [["x", "f", ""]], ns: "1" }] }),
      good,
    ];
    writeFileSync(file, lines.join("\n") + "\n");
    const got = takeSpool(file);
    assert.equal(got.batches.length, 2, "the two good lines");
    assert.deepEqual(
      got.problems.map((p) => p.replace(/:.*/, "")),
      ["line 2", "line 3", "line 4", "line 5", "line 6", "line 7", "line 8"],
    );
    assert.match(got.problems[1] ?? "", /unknown version 2/);
    assert.match(got.problems[2] ?? "", /point 0 x: expected an integer string, got "1.5"/);
    assert.match(got.problems[3] ?? "", /tags must be strings/);
    assert.match(got.problems[4] ?? "", /createdNs: expected an integer string/);
    assert.match(got.problems[5] ?? "", /not a number: "one"/);
    assert.match(got.problems[6] ?? "", /not a number: ""/, "an empty text is not 0");
    assert.equal(existsSync(file), false);
    assert.ok(got.keptAs && readFileSync(got.keptAs, "utf8") === lines.join("\n") + "\n", "the whole file kept, byte for byte");
  });

  it("a missing legacy spool is empty; a good one is taken (removed)", () => {
    const file = legacySpoolFile(dir.path, "a1");
    assert.deepEqual(takeSpool(file), { batches: [], problems: [] });
    writeFileSync(file, encodeSpool([{ points: [point(1)], createdNs: 1n }]));
    assert.equal(takeSpool(file).batches.length, 1);
    assert.equal(existsSync(file), false, "taken: removed");
  });
});
