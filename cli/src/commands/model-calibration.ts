// How `eastwest model --calibration` says which constants came from the calibration (text and JSON).
import type { CalibrationUse } from "@eastwest/collector/model";

export interface UsedCalibration {
  /** The file, or "agent <id> in <store>". */
  source: string;
  timeNs: bigint | null;
  use: CalibrationUse;
  /** Constants set by flags: they override the calibration's. */
  overridden: string[];
}

function valueText(constant: string, v: number): string {
  if (constant.endsWith("_bytes_per_s")) return `${(v / 1e9).toFixed(2)} GB/s`;
  return constant.endsWith("_us") ? `${Number(v.toPrecision(3))} us` : String(v);
}

function when(timeNs: bigint | null): string {
  if (timeNs === null) return "time not recorded";
  const d = new Date(Number(timeNs / 1_000_000n));
  return Number.isNaN(d.getTime()) ? "time not recorded" : `measured ${d.toISOString()}`;
}

/** "from the calibration (<source>, measured <time>):" and one line per constant taken or left. */
export function calibrationLines(c: UsedCalibration): string[] {
  const lines = [`from the calibration ${c.source} (${when(c.timeNs)}):`];
  for (const a of c.use.applied) {
    const over = c.overridden.includes(a.constant) ? "; overridden by its flag" : "";
    lines.push(`  ${a.constant} = ${valueText(a.constant, a.value)} (calibrated: ${a.method || "measured"}${over})`);
  }
  if (c.use.applied.length === 0) lines.push("  no constant: the calibration measured none the model uses");
  for (const i of c.use.ignored) lines.push(`  not used: ${i.name}: ${i.reason}`);
  return lines;
}

export function calibrationJson(c: UsedCalibration): Record<string, unknown> {
  return { source: c.source, time_ns: c.timeNs === null ? null : c.timeNs.toString(), applied: c.use.applied, ignored: c.use.ignored, overridden_by_flags: c.use.applied.map((a) => a.constant).filter((k) => c.overridden.includes(k)) };
}
