// Pure parser of /proc/net/snmp and /proc/net/netstat: every "Group: Name Name ..." header line
// followed by its "Group: value value ..." line, generically.
import { ParseError } from "@eastwest/common";
import { excerpt, int, lines, words } from "../shared/text.ts";

/** group ("Tcp", "TcpExt", ...) -> counter name ("InSegs", ...) -> value. Values are signed: Tcp MaxConn is -1. */
export type SnmpGroups = Map<string, Map<string, bigint>>;

export interface Snmp {
  groups: SnmpGroups;
  errors: string[];
}

export function parseSnmp(text: string, source: string): Snmp {
  const out: Snmp = { groups: new Map(), errors: [] };
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
    const group = pairGroup(header.items, values.items);
    if (typeof group === "string") out.errors.push(`${source}: ${header.group}: ${group}`);
    else out.groups.set(header.group, group);
  }
  if (out.groups.size === 0) {
    throw new ParseError(source, `no "Group: names" / "Group: values" line pairs${out.errors.length > 0 ? ` (${out.errors[0]})` : ""}`);
  }
  return out;
}

function split(line: string): { group: string; items: string[] } | undefined {
  const m = /^([A-Za-z][A-Za-z0-9]*):\s*(.*)$/.exec(line);
  if (m === null) return undefined;
  return { group: m[1] as string, items: (m[2] as string) === "" ? [] : words(m[2] as string) };
}

function pairGroup(names: string[], values: string[]): Map<string, bigint> | string {
  // why: a truncated read cuts the value line short; the count must match the header exactly.
  if (names.length !== values.length) return `${names.length} names but ${values.length} values`;
  const group = new Map<string, bigint>();
  for (const [i, name] of names.entries()) {
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
