// Pure parser of /proc/softirqs: a "CPU0 CPU1 ..." header, then "NAME: count count ..." per softirq type.
import { ParseError } from "@eastwest/common";
import { excerpt, lines, uint, words } from "../../host/text.ts";
import { Shape, UINT } from "../shared/shape.ts";

export interface SoftirqRow {
  /** Kernel name as printed, e.g. "NET_RX". */
  name: string;
  /** Count per cpu, in header order. */
  counts: bigint[];
}

export interface Softirqs {
  /** "cpu0", "cpu1", ... from the header. */
  cpus: string[];
  rows: SoftirqRow[];
  errors: string[];
}

const SOURCE = "/proc/softirqs";

export function parseSoftirqs(text: string): Softirqs {
  const [head, ...body] = lines(text);
  const cpus = words(head ?? "");
  if (cpus.length === 0 || !cpus.every((c) => /^CPU\d+$/.test(c))) {
    throw new ParseError(SOURCE, `expected a "CPU0 CPU1 ..." header, got ${excerpt(head ?? "")}`);
  }
  const out: Softirqs = { cpus: cpus.map((c) => c.toLowerCase()), rows: [], errors: [] };
  for (const line of body) {
    const row = parseRow(line, cpus.length);
    if (typeof row === "string") out.errors.push(row);
    else out.rows.push(row);
  }
  return out;
}

function parseRow(line: string, ncpu: number): SoftirqRow | string {
  const m = /^\s*([A-Z][A-Z0-9_]*):(.*)$/.exec(line);
  if (m === null) return `${SOURCE}: expected "NAME: counts", got ${excerpt(line)}`;
  const name = m[1] as string;
  const values = words(m[2] as string);
  // why: /proc/softirqs prints every possible cpu, so a short row is a truncated read.
  if (values.length !== ncpu) return `${SOURCE}: ${name}: ${values.length} values for ${ncpu} cpus`;
  const counts: bigint[] = [];
  for (const v of values) {
    const n = uint(v);
    if (n === undefined) return `${SOURCE}: ${name}: bad count ${excerpt(v)}`;
    counts.push(n);
  }
  return { name, counts };
}

/** /proc/softirqs by position: per row (file order) one count per cpu (header order), one row after another. */
export interface SoftirqValues {
  cpus: string[];
  names: string[];
  values: ReadonlyArray<bigint | undefined>;
}

/** A full parse in the positional form. */
export function softirqValues(parsed: Softirqs): SoftirqValues {
  return { cpus: parsed.cpus, names: parsed.rows.map((r) => r.name), values: parsed.rows.flatMap((r) => r.counts) };
}

const NAME = /^[A-Z][A-Z0-9_]*:$/;

/** The shape of a /proc/softirqs text that parsed without errors, with its cpus and rows; undefined when it has none. */
export function softirqShape(text: string): { shape: Shape; cpus: string[]; names: string[] } | undefined {
  const cpus: string[] = [];
  const names: string[] = [];
  const shape = Shape.of(text, (words, index) => {
    if (index === 0) {
      cpus.push(...words.map((c) => c.toLowerCase()));
      return words;
    }
    const [name = "", ...counts] = words;
    if (!NAME.test(name) || counts.length !== cpus.length) return undefined;
    names.push(name.slice(0, -1));
    return [name, ...counts.map(() => UINT)];
  });
  return shape === undefined ? undefined : { shape, cpus, names };
}
