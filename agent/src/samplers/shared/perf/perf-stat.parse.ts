// Pure parser of `perf stat -x,` CSV (tools/perf/Documentation/perf-stat.txt, "CSV FORMAT"), with or without -I:
//   [time,]counter-value,unit,event,run-time(ns),pct-running[,metric-value,metric-unit]
// The value is "<not supported>" / "<not counted>" when the event could not be counted. perf writes this to stderr.
// Out of scope: per-cpu / aggregation columns (-A, --per-socket, --per-core ...), reported as errors, never misread;
// -r (its variance column lands where the metric columns are).
// why: perf does not quote fields, so an event name with a comma (raw "cpu/event=0x3c,umask=0/") would split; the
// samplers' events have none.
import { ParseError } from "@eastwest/common";
import { excerpt } from "../../../host/text.ts";

export type PerfStatus = "counted" | "not_supported" | "not_counted";

export interface PerfStatRecord {
  /** 1-based line number in the text (or stream). */
  line: number;
  /** Interval end, seconds since perf started (-I only). */
  timeS?: number;
  /** The same, exact, in ns (-I only). */
  timeNs?: bigint;
  /**
   * The count as printed, exact. null when not counted / not supported, and when perf printed a fraction
   * (an event with a scale, e.g. task-clock in msec or uncore cas_count in MiB): see `amount`.
   */
  value: bigint | null;
  /** The printed value as a number (integer or fraction); null when not counted / not supported. */
  amount: number | null;
  /** Unit of the value ("msec", "MiB") or "". */
  unit: string;
  /** Event name as perf prints it, e.g. "cycles", "cycles:u", "cpu_core/cycles/", "kvm:kvm_exit". */
  event: string;
  /** Time the counter ran, ns; null when perf left it empty. */
  runTimeNs: bigint | null;
  /** Share of the enabled time the counter was running, 0..100 (< 100: multiplexed, value scaled); null when empty. */
  pctRunning: number | null;
  metricValue: number | null;
  metricUnit: string;
  status: PerfStatus;
}

export interface PerfStatParse {
  records: PerfStatRecord[];
  /** One entry per line that did not parse, with its line number. */
  errors: string[];
}

export const PERF_STAT_SOURCE = "perf stat -x,";

const TIME = /^(\d+)\.(\d{1,9})$/;
const NUMBER = /^\d+(\.\d+)?$/;
const INTEGER = /^\d+$/;
// why: -A prints "CPU3", --per-socket "S0", --per-die "S0-D0", --per-core "S0-D0-C1", --per-node "N0", --per-thread "comm-pid".
const AGGREGATE = /^(CPU\d+|S\d+(-D\d+)?(-C\d+)?|N\d+|.+-\d+)$/;

/**
 * One CSV line. undefined for blank lines, "#" comments and metric-only continuation lines (all earlier fields
 * empty); throws ParseError naming the line for anything else that is not a record.
 */
export function parsePerfStatLine(text: string, line: number, interval: boolean): PerfStatRecord | undefined {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.startsWith("#")) return undefined;
  const fields = trimmed.split(",").map((f) => f.trim());
  const fail = (why: string): never => {
    throw new ParseError(PERF_STAT_SOURCE, `line ${line}: ${why}: ${excerpt(trimmed)}`);
  };
  const time = interval ? parseTime(fields.shift() ?? "") : undefined;
  if (interval && time === undefined) fail("expected an interval time stamp first");
  if (fields.length < 5) fail(`expected at least 5 fields after the time stamp, got ${fields.length}`);
  const [value = "", unit = "", event = "", runTime = "", pct = "", metric = "", metricUnit = ""] = fields;
  if (value === "" && event === "") return undefined;
  if (AGGREGATE.test(value) && !NUMBER.test(value)) fail("per-cpu or aggregated output (-A, --per-socket ...) is not supported");
  if (event === "") fail("no event name");
  const status = statusOf(value);
  if (status === undefined) fail(`bad counter value ${JSON.stringify(value)}`);
  const counted = status === "counted";
  if (runTime !== "" && !INTEGER.test(runTime)) fail(`bad run time ${JSON.stringify(runTime)}`);
  const pctRunning = optionalNumber(pct);
  if (pctRunning === undefined || (pctRunning !== null && pctRunning > 100)) fail(`bad running percentage ${JSON.stringify(pct)}`);
  return {
    line,
    ...(time !== undefined ? { timeS: Number(time) / 1e9, timeNs: time } : {}),
    value: counted && INTEGER.test(value) ? BigInt(value) : null,
    amount: counted ? Number(value) : null,
    unit,
    event,
    runTimeNs: runTime === "" ? null : BigInt(runTime),
    pctRunning: pctRunning ?? null,
    metricValue: optionalNumber(metric) ?? null,
    metricUnit,
    status: status as PerfStatus,
  };
}

/** A whole capture: every record, every bad line as an error. Throws ParseError when no line parses but some failed. */
export function parsePerfStat(text: string, opts: { interval: boolean }): PerfStatParse {
  const out: PerfStatParse = { records: [], errors: [] };
  text.split("\n").forEach((raw, i) => {
    try {
      const record = parsePerfStatLine(raw, i + 1, opts.interval);
      if (record !== undefined) out.records.push(record);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      out.errors.push(err.message);
    }
  });
  if (out.records.length === 0 && out.errors.length > 0) throw new ParseError(PERF_STAT_SOURCE, `no record parsed (${out.errors[0]})`);
  return out;
}

function parseTime(text: string): bigint | undefined {
  const m = TIME.exec(text);
  if (m === null) return undefined;
  return BigInt(m[1] as string) * 1_000_000_000n + BigInt((m[2] as string).padEnd(9, "0"));
}

function statusOf(value: string): PerfStatus | undefined {
  if (value === "<not supported>") return "not_supported";
  if (value === "<not counted>") return "not_counted";
  return NUMBER.test(value) ? "counted" : undefined;
}

/** "" -> null; a finite decimal -> number; anything else -> undefined (bad). */
function optionalNumber(text: string): number | null | undefined {
  if (text === "") return null;
  return NUMBER.test(text) ? Number(text) : undefined;
}

/** One -I interval: the records sharing a time stamp, by event name. */
export interface PerfInterval {
  timeNs: bigint;
  /** Length of the interval, ns: time stamp minus the previous one (the first interval starts at 0). */
  durationNs: bigint;
  records: Map<string, PerfStatRecord[]>;
}

/**
 * Groups streamed -I records into intervals. An interval is complete when `expected` records carry its time
 * stamp, or when a later time stamp arrives (a partial interval, e.g. an event perf skipped). Records that
 * arrive for an interval already returned (hybrid PMUs print one line per PMU) are added to it in place.
 */
export class PerfIntervalAssembler {
  readonly #expected: number;
  #current: PerfInterval | undefined;
  #count = 0;
  #done = false;
  #prevNs = 0n;

  constructor(expectedRecords: number) {
    this.#expected = expectedRecords;
  }

  /** Adds a record; returns the interval it completed, if any (at most one per call). */
  push(r: PerfStatRecord): PerfInterval | undefined {
    if (r.timeNs === undefined) return undefined;
    let completed: PerfInterval | undefined;
    if (this.#current === undefined || r.timeNs !== this.#current.timeNs) {
      if (this.#current !== undefined && !this.#done) completed = this.#current;
      if (this.#current !== undefined) this.#prevNs = this.#current.timeNs;
      this.#current = { timeNs: r.timeNs, durationNs: r.timeNs > this.#prevNs ? r.timeNs - this.#prevNs : 0n, records: new Map() };
      this.#count = 0;
      this.#done = false;
    }
    const list = this.#current.records.get(r.event) ?? [];
    list.push(r);
    this.#current.records.set(r.event, list);
    this.#count += 1;
    if (!this.#done && this.#count >= this.#expected) {
      this.#done = true;
      return completed ?? this.#current;
    }
    return completed;
  }
}

export interface EventSum {
  total: bigint;
  /** Lowest running percentage seen (< 100: perf multiplexed the counter and scaled the value); null if never printed. */
  minPctRunning: number | null;
}

export interface IntervalSums {
  /** Sum of the intervals' lengths, ns. */
  durationNs: bigint;
  /** Per event key: the sum over every interval. Only keys counted in every interval. */
  sums: Map<string, EventSum>;
  /** Keys seen but not counted in some interval, with the status that excluded them. */
  missing: Map<string, PerfStatus>;
}

/**
 * Sums events over several intervals. `keyOf` maps an event name to a key (undefined: ignore the record);
 * records of one key within an interval add up (hybrid PMUs). `valueOf` gives a record's contribution, or null
 * when it cannot be summed. A key absent from, or not counted in, any interval is reported in `missing`.
 */
export function sumIntervals(
  intervals: readonly PerfInterval[],
  keyOf: (event: string) => string | undefined,
  valueOf: (r: PerfStatRecord) => bigint | null,
): IntervalSums {
  const out: IntervalSums = { durationNs: 0n, sums: new Map(), missing: new Map() };
  const counted = new Map<string, number>();
  for (const interval of intervals) {
    out.durationNs += interval.durationNs;
    const seen = new Set<string>();
    for (const [event, records] of interval.records) {
      const key = keyOf(event);
      if (key === undefined) continue;
      for (const r of records) {
        const v = r.status === "counted" ? valueOf(r) : null;
        if (v === null) {
          out.missing.set(key, r.status);
          continue;
        }
        const s = out.sums.get(key) ?? { total: 0n, minPctRunning: null };
        s.total += v;
        if (r.pctRunning !== null) s.minPctRunning = Math.min(s.minPctRunning ?? 100, r.pctRunning);
        out.sums.set(key, s);
        if (!seen.has(key)) counted.set(key, (counted.get(key) ?? 0) + 1);
        seen.add(key);
      }
    }
  }
  for (const key of out.sums.keys()) {
    if ((counted.get(key) ?? 0) < intervals.length || out.missing.has(key)) {
      out.missing.set(key, out.missing.get(key) ?? "not_counted");
      out.sums.delete(key);
    }
  }
  return out;
}
