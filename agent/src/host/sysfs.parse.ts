// Pure parsers of sysfs/sysctl one-liners (/sys/class/net/<if>/mtu, operstate, /proc/sys/net/...).
import { ParseError } from "@eastwest/common";
import { excerpt, uint, words } from "./text.ts";

/** A sysfs/sysctl file holding one unsigned integer (e.g. /sys/class/net/eth0/mtu). */
export function parseUintFile(text: string, source: string): bigint {
  const v = uint(text.trim());
  if (v === undefined) throw new ParseError(source, `expected an unsigned integer, got ${excerpt(text)}`);
  return v;
}

/** A sysfs/sysctl file holding one word (operstate, tcp_congestion_control). */
export function parseWordFile(text: string, source: string): string {
  const t = text.trim();
  if (!/^[A-Za-z0-9_.-]+$/.test(t)) throw new ParseError(source, `expected one word, got ${excerpt(text)}`);
  return t;
}

/** tcp_available_congestion_control: space-separated names, returned sorted. */
export function parseWordList(text: string, source: string): string[] {
  const list = text.trim() === "" ? [] : words(text);
  for (const w of list) if (!/^[A-Za-z0-9_.-]+$/.test(w)) throw new ParseError(source, `bad name ${excerpt(w)}`);
  return [...list].sort();
}
