// Conversion between in-process samples and wire points (proto FieldValue oneof).
import type { FieldValue as WireField, Point } from "@eastwest/proto";
import type { FieldValue, Sample } from "./point.ts";

const U64_MAX = (1n << 64n) - 1n;

export function toWireField(v: FieldValue): WireField {
  switch (typeof v) {
    case "number":
      return { value: { $case: "f", value: v } };
    case "bigint":
      return v >= 0n ? { value: { $case: "u", value: v > U64_MAX ? U64_MAX : v } } : { value: { $case: "i", value: v } };
    case "boolean":
      return { value: { $case: "b", value: v } };
    default:
      return { value: { $case: "s", value: v } };
  }
}

export function fromWireField(f: WireField): FieldValue | undefined {
  return f.value?.value;
}

export function toWirePoint(s: Sample): Point {
  const fields: Record<string, WireField> = {};
  for (const [k, v] of Object.entries(s.fields)) fields[k] = toWireField(v);
  return { measurement: s.measurement, tags: s.tags, fields, timeNs: s.timeNs };
}

/** Wire point -> sample; fields without a value are skipped (validation reports them). */
export function fromWirePoint(p: Point): Sample {
  const fields: Record<string, FieldValue> = {};
  for (const [k, f] of Object.entries(p.fields)) {
    const v = fromWireField(f);
    if (v !== undefined) fields[k] = v;
  }
  return { measurement: p.measurement, tags: p.tags, fields, timeNs: p.timeNs };
}
