// The tcp sampler's reads of /proc/net/snmp and /proc/net/netstat by position, and its selection in them.
import type { Shape } from "../shared/shape.ts";
import { parseSnmp, snmpShape, snmpValues, type SnmpValues, type SnmpWanted } from "./tcp.parse.ts";

/** One file, read through the shape of its last clean parse while the text keeps it, else parsed. */
export class SnmpFile {
  readonly #source: string;
  readonly #wanted: SnmpWanted;
  #known: { shape: Shape; positions: SnmpValues["positions"] } | undefined;
  readonly #read: Array<bigint | undefined> = [];

  constructor(source: string, wanted: SnmpWanted) {
    this.#source = source;
    this.#wanted = wanted;
  }

  read(text: string): SnmpValues {
    const known = this.#known;
    if (known !== undefined && known.shape.read(text, this.#read)) return { positions: known.positions, values: this.#read, errors: [] };
    const parsed = parseSnmp(text, this.#source, this.#wanted);
    this.#known = parsed.errors.length === 0 ? snmpShape(text, this.#wanted) : undefined;
    return snmpValues(parsed);
  }
}

/**
 * Counters selected by [group, name] from several files, where a group of a later file replaces the same group
 * of an earlier one (as mergeSnmp). Where each counter is gets worked out again only when a file's layout changed.
 */
export class Selector {
  readonly #counters: ReadonlyArray<readonly [group: string, name: string, ...rest: unknown[]]>;
  #layouts: Array<SnmpValues["positions"]> = [];
  /** Per counter: the file it is in (-1: none) and its position there. */
  #file: number[] = [];
  #at: number[] = [];

  constructor(counters: ReadonlyArray<readonly [group: string, name: string, ...rest: unknown[]]>) {
    this.#counters = counters;
  }

  /** The selected counters' values (undefined: not in any file) into `out`, in selection order. */
  select(files: readonly SnmpValues[], out: Array<bigint | undefined>): void {
    if (files.length !== this.#layouts.length || files.some((f, i) => f.positions !== this.#layouts[i])) this.#locate(files);
    for (let j = 0; j < this.#counters.length; j++) {
      const file = this.#file[j] as number;
      out[j] = file < 0 ? undefined : files[file]?.values[this.#at[j] as number];
    }
  }

  #locate(files: readonly SnmpValues[]): void {
    this.#layouts = files.map((f) => f.positions);
    this.#file = [];
    this.#at = [];
    for (const [group, name] of this.#counters) {
      const file = files.findLastIndex((f) => f.positions.has(group));
      const at = files[file]?.positions.get(group)?.get(name);
      this.#file.push(at === undefined ? -1 : file);
      this.#at.push(at ?? -1);
    }
  }
}
