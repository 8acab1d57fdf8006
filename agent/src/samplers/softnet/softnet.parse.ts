// Pure parser of /proc/net/softnet_stat: one row of %08x columns per online cpu.
//
// Columns (net/core/net-procfs.c softnet_seq_show), 1-based:
//   1 processed, 2 dropped, 3 time_squeeze, 4-9 unused (0), 10 received_rps,
//   11 flow_limit_count (since 3.11), 12 backlog_len and 13 cpu id (since 5.10),
//   14 input_qlen and 15 process_qlen (6.x). Older kernels print fewer columns.
import { ParseError } from "@eastwest/common";
import { excerpt, hex, lines, words } from "../../host/text.ts";
import { HEX, SKIP_HEX, Shape } from "../shared/shape.ts";

export interface SoftnetRow {
  /** The cpu id column when present, else the row index. */
  cpu: number;
  processed: bigint;
  dropped: bigint;
  time_squeeze: bigint;
  received_rps?: bigint;
  flow_limit_count?: bigint;
  /** Gauge: packets queued in the backlog at read time. */
  backlog_len?: bigint;
}

export interface Softnet {
  rows: SoftnetRow[];
  /** Columns per row in this file (from the first row). */
  columns: number;
  errors: string[];
}

const SOURCE = "/proc/net/softnet_stat";
const OPTIONAL: ReadonlyArray<readonly [number, "received_rps" | "flow_limit_count" | "backlog_len"]> = [
  [9, "received_rps"],
  [10, "flow_limit_count"],
  [11, "backlog_len"],
];

export function parseSoftnet(text: string): Softnet {
  const out: Softnet = { rows: [], columns: 0, errors: [] };
  lines(text).forEach((line, index) => {
    const values = words(line).map(hex);
    if (out.columns === 0) out.columns = values.length;
    const row = toRow(values, index, out.columns);
    if (typeof row === "string") out.errors.push(`${SOURCE}: row ${index}: ${row} in ${excerpt(line)}`);
    else out.rows.push(row);
  });
  if (out.rows.length === 0) throw new ParseError(SOURCE, `no rows parsed${out.errors.length > 0 ? ` (${out.errors[0]})` : ""}`);
  return out;
}

function toRow(values: Array<bigint | undefined>, index: number, columns: number): SoftnetRow | string {
  if (values.some((v) => v === undefined)) return "non-hex column";
  // why: all rows of one file have the same width; a shorter row is a truncated read.
  if (values.length < 3 || values.length < columns) return `truncated (${values.length} of ${columns} columns)`;
  const v = values as bigint[];
  const row: SoftnetRow = {
    // why: rows exist only for online cpus, so the row index is not the cpu id once a cpu went offline;
    // kernels >= 5.10 print the id in column 13.
    cpu: v.length >= 13 ? Number(v[12]) : index,
    processed: v[0] as bigint,
    dropped: v[1] as bigint,
    time_squeeze: v[2] as bigint,
  };
  for (const [i, key] of OPTIONAL) if (v[i] !== undefined) row[key] = v[i];
  return row;
}

/** What a row gives, in this order: SoftnetRow's counters, then backlog_len. */
export const SOFTNET_ITEMS = ["processed", "dropped", "time_squeeze", "received_rps", "flow_limit_count", "backlog_len"] as const;
/** The columns read (0-based): those of SOFTNET_ITEMS in order, then the cpu id. */
const READ_COLUMNS = [0, 1, 2, 9, 10, 11, 12];

/** /proc/net/softnet_stat by position: per row its cpu, and its SOFTNET_ITEMS (undefined: not printed) row after row. */
export interface SoftnetValues {
  cpus: number[];
  values: Array<bigint | undefined>;
}

/** A full parse in the positional form. */
export function softnetValues(parsed: Softnet): SoftnetValues {
  return { cpus: parsed.rows.map((r) => r.cpu), values: parsed.rows.flatMap((r) => SOFTNET_ITEMS.map((k) => r[k])) };
}

/**
 * The shape of a softnet_stat text that parsed without errors, and per row how many of READ_COLUMNS it has;
 * undefined when it has none.
 */
export function softnetShape(text: string): { shape: Shape; read: number[] } | undefined {
  const read: number[] = [];
  const shape = Shape.of(text, (words) => {
    read.push(READ_COLUMNS.filter((c) => c < words.length).length);
    return words.map((_, i) => (READ_COLUMNS.includes(i) ? HEX : SKIP_HEX));
  });
  return shape === undefined ? undefined : { shape, read };
}

/**
 * A read through softnetShape in the positional form, into `out`. The cpu id is read every time: a row's cpu
 * changes when cpus go offline.
 */
export function softnetShapeValues(read: readonly number[], v: ReadonlyArray<bigint | undefined>, out: SoftnetValues): void {
  out.cpus.length = 0;
  out.values.length = 0;
  let slot = 0;
  for (let r = 0; r < read.length; r++) {
    const n = read[r] as number;
    // why: as parseSoftnet: kernels >= 5.10 print the cpu id in column 13, else the row index stands for it.
    out.cpus.push(n > SOFTNET_ITEMS.length ? Number(v[slot + SOFTNET_ITEMS.length]) : r);
    for (let i = 0; i < SOFTNET_ITEMS.length; i++) out.values.push(i < n ? v[slot + i] : undefined);
    slot += n;
  }
}
