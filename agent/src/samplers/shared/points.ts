// Building points: stamped with the tick time, base tags first, then the sampler's own tags.
import type { FieldValue, Sample } from "@eastwest/common";
import type { SampleContext } from "../types.ts";

/** A point, or undefined when it would carry no field (a point needs at least one). */
export function point(
  ctx: SampleContext,
  measurement: string,
  tags: Readonly<Record<string, string>>,
  fields: Record<string, FieldValue>,
): Sample | undefined {
  if (Object.keys(fields).length === 0) return undefined;
  return { measurement, tags: { ...ctx.baseTags, ...tags }, fields, timeNs: ctx.nowNs };
}

export function pushPoint(out: Sample[], sample: Sample | undefined): void {
  if (sample !== undefined) out.push(sample);
}
