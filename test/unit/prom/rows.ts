// Latest points for the exposition tests: one per measurement of the real schema, every field set.
import { allMeasurements, type FieldType, type FieldValue } from "@eastwest/common";
import type { LatestPoint } from "@eastwest/common/prom";

export const NOW_NS = 1_800_000_000_000_000_000n;

/** A value of the type, varied by i. */
export function valueOf(type: FieldType, i: number): FieldValue {
  switch (type) {
    case "uint":
      return BigInt(1000 + i) * 1_000_003n;
    case "int":
      return BigInt(i - 5);
    case "float":
      return i * 1.25 + 0.5;
    case "bool":
      return i % 2 === 0;
    case "string":
      return `s${i}`;
  }
}

/** One point per measurement of the schema, `n` series each (tag values differ by series), all fields set. */
export function schemaPoints(n = 1, timeNs = NOW_NS): LatestPoint[] {
  const out: LatestPoint[] = [];
  for (const [measurement, def] of allMeasurements()) {
    for (let s = 0; s < n; s++) {
      const tags = Object.fromEntries(def.tags.map((t, i) => [t, i === def.tags.length - 1 ? `${t}-${s}` : `${t}-v`]));
      const fields = Object.fromEntries(Object.entries(def.fields).map(([f, type], i) => [f, valueOf(type, i + s)]));
      out.push({ measurement, tags, timeNs, fields });
    }
  }
  return out;
}
