import assert from "node:assert/strict";
import { bucketStart, SeriesBuilder } from "../../../collector/src/store/series-builder.ts";

describe("series builder", () => {
  it("aligns buckets to the epoch, also before 1970", () => {
    assert.equal(bucketStart(25n, 10n), 20n);
    assert.equal(bucketStart(20n, 10n), 20n);
    assert.equal(bucketStart(-1n, 10n), -10n);
    assert.equal(bucketStart(-10n, 10n), -10n);
  });

  it("returns raw rows with sorted columns and null for missing fields", () => {
    const b = new SeriesBuilder("m", { k: "v" }, {});
    b.add(1n, { y: 1n });
    b.add(2n, { x: "s" });
    assert.deepEqual(b.finish(), {
      measurement: "m",
      tags: { k: "v" },
      columns: ["time_ns", "x", "y"],
      values: [[1n, null, 1n], [2n, "s", null]],
      truncated: false,
    });
  });

  it("keeps the requested column order and drops other fields", () => {
    const b = new SeriesBuilder("m", {}, { fields: ["z", "a"] });
    b.add(1n, { a: 1, z: 2, other: 3 });
    assert.deepEqual(b.finish().values, [[1n, 2, 1]]);
    assert.deepEqual(b.finish().columns, ["time_ns", "z", "a"]);
  });

  it("means numbers (bigint included) per bucket; non-numeric fields give null", () => {
    const b = new SeriesBuilder("m", {}, { everyNs: 10n, aggregate: "mean" });
    b.add(0n, { n: 1n, s: "a" });
    b.add(5n, { n: 2 });
    b.add(12n, { n: 10n, s: "b" });
    assert.deepEqual(b.finish().values, [[0n, 1.5, null], [10n, 10, null]]);
  });

  it("takes the last value of each field per bucket", () => {
    const b = new SeriesBuilder("m", {}, { everyNs: 10n, aggregate: "last" });
    b.add(0n, { n: 1n, s: "a" });
    b.add(5n, { n: 2n });
    assert.deepEqual(b.finish().values, [[0n, 2n, "a"]]);
  });

  it("takes min and max per bucket in each value's type", () => {
    const b = (aggregate: "min" | "max") => {
      const x = new SeriesBuilder("m", {}, { everyNs: 10n, aggregate });
      for (const [t, v] of [[0n, 5n], [3n, -2n], [7n, 9n], [12n, 1.5]] as const) x.add(t, { v, s: "x" });
      return x.finish().values;
    };
    assert.deepEqual(b("min"), [[0n, null, -2n], [10n, null, 1.5]]);
    assert.deepEqual(b("max"), [[0n, null, 9n], [10n, null, 1.5]]);
  });

  it("gives a counter's increase per bucket: from the bucket before's last, through a reset, none for the first", () => {
    const b = new SeriesBuilder("m", {}, { everyNs: 10n, aggregate: "increase" });
    for (const [t, v] of [[0n, 100n], [5n, 110n], [12n, 150n], [25n, 20n], [31n, 45n]] as const) b.add(t, { c: v, f: Number(v) / 2, s: "x" });
    // columns c, f, s: s is not numeric
    assert.deepEqual(b.finish().values, [[0n, null, null, null], [10n, 40n, 20, null], [20n, 20n, 10, null], [30n, 25n, 12.5, null]]);
  });

  it("stops at limit and says so only when rows were cut", () => {
    const exact = new SeriesBuilder("m", {}, { limit: 2 });
    exact.add(1n, { x: 1 });
    exact.add(2n, { x: 2 });
    assert.equal(exact.full, false);
    assert.equal(exact.finish().truncated, false);
    const cut = new SeriesBuilder("m", {}, { limit: 1, everyNs: 10n });
    cut.add(1n, { x: 1 });
    cut.add(2n, { x: 3 });
    cut.add(11n, { x: 5 });
    assert.equal(cut.full, true);
    assert.deepEqual(cut.finish(), { measurement: "m", tags: {}, columns: ["time_ns", "x"], values: [[0n, 2]], truncated: true });
  });
});
