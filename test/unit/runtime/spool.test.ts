import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Sample } from "@eastwest/common";
import { Outbox } from "../../../agent/src/runtime/outbox.ts";
import { decodeSpool, encodeSpool, spoolFile, takeSpool, writeSpool } from "../../../agent/src/runtime/spool.ts";
import { tempDir } from "../../helpers/procs.ts";

const point = (i: number, fields: Sample["fields"] = { n: BigInt(i) }): Sample => ({ measurement: "m", tags: { agent_id: "a1", k: `v${i}` }, fields, timeNs: 1_800_000_000_000_000_000n + BigInt(i) });

describe("agent spool: unacked batches across a stop", () => {
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
    const file = spoolFile(dir.path, "a1");
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

  it("writes atomically, removes the file when nothing is left, and a missing spool is empty", () => {
    const file = spoolFile(join(dir.path, "new", "dir"), "a1");
    assert.deepEqual(takeSpool(file), { batches: [], problems: [] });
    writeSpool(file, [{ points: [point(1)], createdNs: 1n }]);
    assert.deepEqual(readdirSync(join(dir.path, "new", "dir")), ["a1.jsonl"], "no temporary file left");
    writeSpool(file, []);
    assert.equal(existsSync(file), false);
    writeSpool(file, [{ points: [point(1)], createdNs: 1n }]);
    assert.equal(takeSpool(file).batches.length, 1);
    assert.equal(existsSync(file), false, "taken: removed");
  });

  it("restored batches go first and take seqs above the collector's, in order; not after seqs are given out", () => {
    const o = new Outbox(10);
    o.add([point(10)], 10n);
    o.restore([{ points: [point(1)], createdNs: 1n }, { points: [], createdNs: 2n }, { points: [point(3)], createdNs: 3n }]);
    o.setBase(41n);
    const sent = o.takeSendable(10);
    assert.deepEqual(sent.map((e) => [e.seq, e.createdNs]), [[42n, 1n], [43n, 3n], [44n, 10n]], "empty batches dropped");
    assert.throws(() => o.restore([{ points: [point(4)], createdNs: 4n }]), /restore only before the collector's Welcome/);
    assert.deepEqual(o.unacked().map((b) => b.createdNs), [1n, 3n, 10n]);
    o.ack(42n);
    assert.deepEqual(o.unacked().map((b) => b.createdNs), [3n, 10n]);
  });

  it("restore beyond maxBatches drops the oldest, counted", () => {
    const o = new Outbox(2);
    o.restore([1n, 2n, 3n].map((t) => ({ points: [point(Number(t))], createdNs: t })));
    assert.deepEqual(o.unacked().map((b) => b.createdNs), [2n, 3n]);
    assert.equal(o.stats().droppedBatches, 1n);
  });
});
