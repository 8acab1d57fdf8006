// The benchmarks' one output: a table of figures, each next to its reference
// measured in the same run, the ratio, the target and whether it was met;
// then the notes each benchmark attached (windows, counts, caveats).

export interface Row {
  bench: string;
  metric: string;
  /** eastwest's figure (formatted); empty when skipped or failed. */
  value: string;
  /** the reference's figure (formatted). */
  reference: string;
  ratio: string;
  target: string;
  /** "ok", "MISS", "skipped: <why>" or "failed: <why>". */
  result: string;
}

export interface BenchOutcome {
  rows: Row[];
  notes: string[];
}

const HEADERS: Record<keyof Row, string> = {
  bench: "benchmark",
  metric: "metric",
  value: "eastwest",
  reference: "reference",
  ratio: "ratio",
  target: "target",
  result: "result",
};

const COLUMNS = Object.keys(HEADERS) as Array<keyof Row>;
const RIGHT = new Set<keyof Row>(["value", "reference", "ratio"]);

/** Fixed-point with thousands separators, e.g. fmt(141234.5, 0) = "141,235". */
export function fmt(n: number, digits: number): string {
  if (!Number.isFinite(n)) return "n/a";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Median of `runs` timings of fn, in ms, after one untimed run. */
export async function medianMs(fn: () => Promise<unknown>, runs = 5): Promise<number> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b)[Math.floor(runs / 2)] as number;
}

export function verdict(met: boolean): string {
  return met ? "ok" : "MISS";
}

/** A single row standing for a benchmark that did not produce figures. */
export function statusRow(bench: string, result: string): Row {
  return { bench, metric: "-", value: "", reference: "", ratio: "", target: "", result };
}

export function renderTable(rows: readonly Row[]): string {
  return renderColumns(COLUMNS.map((key) => ({ key, header: HEADERS[key], right: RIGHT.has(key) })), rows);
}

export interface Column<R> {
  key: keyof R & string;
  header: string;
  /** Right-aligned (figures). */
  right?: boolean;
}

/** A Markdown table of string cells: one line per row, columns padded to their widest cell. */
export function renderColumns<R extends { [K in keyof R]: string }>(columns: ReadonlyArray<Column<R>>, rows: readonly R[]): string {
  const widths = columns.map((c) => Math.max(c.header.length, ...rows.map((r) => r[c.key].length)));
  const line = (cells: string[]) => "| " + cells.map((cell, i) => (columns[i]?.right ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number))).join(" | ") + " |";
  const rule = "|" + widths.map((w, i) => (columns[i]?.right ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|";
  return [line(columns.map((c) => c.header)), rule, ...rows.map((r) => line(columns.map((c) => r[c.key])))].join("\n");
}

export function renderNotes(notes: readonly string[]): string {
  return notes.map((n) => `- ${n}`).join("\n");
}
