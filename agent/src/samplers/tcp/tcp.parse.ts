// Pure parser of /proc/net/snmp and /proc/net/netstat: every "Group: Name Name ..." header line
// followed by its "Group: value value ..." line, generically.
import { ParseError } from "@eastwest/common";
import { excerpt, int, lines, words as splitWords } from "../../host/text.ts";
import { INT, REST, Shape, WORD } from "../shared/shape.ts";

/** group ("Tcp", "TcpExt", ...) -> counter name ("InSegs", ...) -> value. Values are signed: Tcp MaxConn is -1. */
export type SnmpGroups = Map<string, Map<string, bigint>>;

export interface Snmp {
  groups: SnmpGroups;
  errors: string[];
}

/** Counter names to keep, by group. */
export type SnmpWanted = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * Every group, or with `wanted` only those counters (other groups are skipped unparsed, other values unchecked).
 * why: the tcp sampler emits ~70 of the ~300 counters, and turning each into a bigint was most of its tick.
 */
export function parseSnmp(text: string, source: string, wanted?: SnmpWanted): Snmp {
  const out: Snmp = { groups: new Map(), errors: [] };
  /** Groups parsed, or skipped as not wanted. */
  let groups = 0;
  const all = lines(text);
  for (let i = 0; i < all.length; i += 2) {
    const header = split(all[i] ?? "");
    const values = split(all[i + 1] ?? "");
    if (header === undefined) {
      out.errors.push(`${source}: expected "Group: names" line, got ${excerpt(all[i] ?? "")}`);
      i -= 1; // resynchronise on the next line
      continue;
    }
    if (values === undefined || values.group !== header.group) {
      out.errors.push(`${source}: ${header.group}: header without a value line`);
      i -= 1;
      continue;
    }
    const keep = wanted?.get(header.group);
    if (wanted !== undefined && keep === undefined) {
      groups += 1;
      continue;
    }
    const group = pairGroup(names(header.items, keep), words(values.items));
    if (typeof group === "string") out.errors.push(`${source}: ${header.group}: ${group}`);
    else {
      out.groups.set(header.group, group);
      groups += 1;
    }
  }
  if (groups === 0) {
    throw new ParseError(source, `no "Group: names" / "Group: values" line pairs${out.errors.length > 0 ? ` (${out.errors[0]})` : ""}`);
  }
  return out;
}

/** "Group: items" split at the colon; the items are split into words only for groups that are parsed. */
function split(line: string): { group: string; items: string } | undefined {
  const m = /^([A-Za-z][A-Za-z0-9]*):\s*(.*)$/.exec(line);
  if (m === null) return undefined;
  return { group: m[1] as string, items: m[2] as string };
}

function words(items: string): string[] {
  return items === "" ? [] : splitWords(items);
}

/** A header line's names, and the positions of those to keep (all without `keep`). */
interface Header {
  names: string[];
  kept: number[];
}

// why: header lines are the same every tick; splitting them and looking every name up in `keep` cost as much as
// the values. Cached per `keep` set and header text (bounded: a kernel has a handful of groups).
const HEADERS = new WeakMap<ReadonlySet<string>, Map<string, Header>>();
const MAX_HEADERS = 64;

function names(items: string, keep: ReadonlySet<string> | undefined): Header {
  if (keep === undefined) return header(items, undefined);
  let cache = HEADERS.get(keep);
  if (cache === undefined) HEADERS.set(keep, (cache = new Map()));
  let h = cache.get(items);
  if (h === undefined) {
    if (cache.size >= MAX_HEADERS) cache.clear();
    cache.set(items, (h = header(items, keep)));
  }
  return h;
}

function header(items: string, keep: ReadonlySet<string> | undefined): Header {
  const all = words(items);
  const kept: number[] = [];
  all.forEach((name, i) => {
    if (keep === undefined || keep.has(name)) kept.push(i);
  });
  return { names: all, kept };
}

function pairGroup(h: Header, values: string[]): Map<string, bigint> | string {
  // why: a truncated read cuts the value line short; the count must match the header exactly.
  if (h.names.length !== values.length) return `${h.names.length} names but ${values.length} values`;
  const group = new Map<string, bigint>();
  for (const i of h.kept) {
    const name = h.names[i] as string;
    const v = int(values[i]);
    if (v === undefined) return `bad value for ${name}: ${excerpt(values[i] ?? "")}`;
    group.set(name, v);
  }
  return group;
}

/** Merges the groups of several files (snmp has Ip/Tcp/Udp, netstat has TcpExt/IpExt). */
export function mergeSnmp(...parts: Snmp[]): Snmp {
  const merged: Snmp = { groups: new Map(), errors: [] };
  for (const part of parts) {
    for (const [name, group] of part.groups) merged.groups.set(name, group);
    merged.errors.push(...part.errors);
  }
  return merged;
}

/**
 * A snmp or netstat file by position: where each kept counter's value is (group -> name -> position in values).
 * A full parse and a read through the shape of an earlier text give the same.
 */
export interface SnmpValues {
  positions: ReadonlyMap<string, ReadonlyMap<string, number>>;
  values: ReadonlyArray<bigint | undefined>;
  errors: string[];
}

/** A full parse in the positional form. */
export function snmpValues(snmp: Snmp): SnmpValues {
  const positions = new Map<string, Map<string, number>>();
  const values: bigint[] = [];
  for (const [group, counters] of snmp.groups) {
    const at = new Map<string, number>();
    for (const [name, v] of counters) at.set(name, values.push(v) - 1);
    positions.set(group, at);
  }
  return { positions, values, errors: snmp.errors };
}

const GROUP = /^[A-Za-z][A-Za-z0-9]*:$/;

/**
 * The shape of a snmp or netstat text that parseSnmp(text, source, wanted) parsed without errors, and where the
 * wanted counters are; undefined when it has none. Groups not wanted are matched by their name only, as
 * parseSnmp skips them unparsed; the values not wanted of a wanted group only need to be words.
 */
export function snmpShape(text: string, wanted: SnmpWanted): { shape: Shape; positions: Map<string, Map<string, number>> } | undefined {
  const positions = new Map<string, Map<string, number>>();
  let header: readonly string[] = [];
  let slot = 0;
  const shape = Shape.of(text, (words, index) => {
    const [group = "", ...items] = words;
    if (!GROUP.test(group)) return undefined;
    const keep = wanted.get(group.slice(0, -1));
    if (index % 2 === 0) {
      header = words;
      return keep === undefined ? [group, REST] : [...words];
    }
    if (group !== header[0]) return undefined;
    if (keep === undefined) return [group, REST];
    const names = header.slice(1);
    if (names.length !== items.length) return undefined;
    // why: a group printed twice counts as its last print, as in parseSnmp.
    const at = new Map<string, number>();
    positions.set(group.slice(0, -1), at);
    return [group, ...names.map((name) => (keep.has(name) ? (at.set(name, slot++), INT) : WORD))];
  });
  return shape === undefined ? undefined : { shape, positions };
}
