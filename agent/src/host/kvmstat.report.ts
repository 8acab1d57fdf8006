// Pure parser of `perf kvm stat report --event=vmexit` (tools/perf/builtin-kvm.c print_result; perf prints it on
// stderr). Columns: VM-EXIT (right-aligned, may contain spaces: "PF excp"), Samples, Samples%, Time%,
// Min Time, Max Time (perf >= 3.19), Avg time "( +- stddev% )"; then "Total Samples:N, Total events handled time:Xus."
import { ParseError } from "@eastwest/common";
import { excerpt, lines } from "./text.ts";

export interface KvmExitRow {
  /** The exit reason as perf prints it ("EPT_VIOLATION" on Intel, "npf" on AMD). */
  reason: string;
  samples: bigint;
  samplesPct: number | null;
  timePct: number | null;
  /** Time to handle one exit, us; min and max are absent before perf 3.19. */
  minTimeUs: number | null;
  maxTimeUs: number | null;
  avgTimeUs: number | null;
  /** Relative standard deviation of the average, %. */
  avgStddevPct: number | null;
}

export interface KvmStatReport {
  /** The first column's header: "VM-EXIT" (also "MMIO Access", "IO Port Access" for the other reports). */
  event: string;
  rows: KvmExitRow[];
  totalSamples: bigint;
  totalTimeUs: number;
  lostEvents: bigint;
  errors: string[];
}

const SOURCE = "perf kvm stat report";
const NUM = String.raw`(-?(?:\d+(?:\.\d+)?|nan|inf))`;
const ROW = new RegExp(
  String.raw`^\s*(.+?)\s+(\d+)\s+${NUM}%\s+${NUM}%\s+(?:${NUM}us\s+${NUM}us\s+)?${NUM}us\s+\(\s*\+-\s*${NUM}%\s*\)\s*$`,
);
const HEADER = /^\s*(VM-EXIT|MMIO Access|IO Port Access)\s+Samples\s+Samples%\s+Time%/;
const TOTAL = /^Total Samples:(\d+), Total events handled time:(\d+(?:\.\d+)?)us\.?$/;
const LOST = /^Lost events: (\d+)$/;
const SKIP = /^(Analyze events for |#|Warning|\s*Processed \d+ events)/;

/** "nan" / "-nan" / "inf" (perf divides by a zero total) -> null. */
function num(text: string | undefined): number | null {
  if (text === undefined) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

function row(m: RegExpExecArray): KvmExitRow {
  return {
    reason: (m[1] as string).trim(),
    samples: BigInt(m[2] as string),
    samplesPct: num(m[3]),
    timePct: num(m[4]),
    minTimeUs: num(m[5]),
    maxTimeUs: num(m[6]),
    avgTimeUs: num(m[7]),
    avgStddevPct: num(m[8]),
  };
}

export function parseKvmStatReport(text: string): KvmStatReport {
  const out: KvmStatReport = { event: "", rows: [], totalSamples: 0n, totalTimeUs: 0, lostEvents: 0n, errors: [] };
  let total = false;
  for (const line of lines(text)) {
    const header = HEADER.exec(line);
    const t = TOTAL.exec(line.trim());
    const lost = LOST.exec(line.trim());
    const r = out.event !== "" && !total ? ROW.exec(line) : null;
    if (header !== null) out.event = header[1] as string;
    else if (t !== null) {
      total = true;
      out.totalSamples = BigInt(t[1] as string);
      out.totalTimeUs = Number(t[2]);
    } else if (lost !== null) out.lostEvents = BigInt(lost[1] as string);
    else if (r !== null) out.rows.push(row(r));
    else if (!SKIP.test(line.trim())) out.errors.push(`${SOURCE}: unexpected line ${excerpt(line)}`);
  }
  if (out.event === "" || !total) {
    throw new ParseError(SOURCE, `no ${out.event === "" ? "header (VM-EXIT Samples ...)" : "\"Total Samples:\" line"}${out.errors.length > 0 ? ` (${out.errors[0]})` : ""}`);
  }
  const sum = out.rows.reduce((acc, r) => acc + r.samples, 0n);
  if (sum !== out.totalSamples) out.errors.push(`${SOURCE}: rows add up to ${sum} samples, the total says ${out.totalSamples}`);
  return out;
}
