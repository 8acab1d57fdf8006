// Pure parsers for netstate: `ethtool -k <iface>`, `tc qdisc show dev <iface>`, and sysfs/sysctl one-liners.
import { ParseError } from "@eastwest/common";
import { excerpt, lines, uint, words } from "../shared/text.ts";

export interface Feature {
  on: boolean;
  /** "[fixed]": the driver does not allow changing it (ethtool -K refuses). */
  fixed: boolean;
  /** "[requested on]" / "[requested off]": the user asked for a different state than the device gives. */
  requested?: boolean;
}

export interface Features {
  features: Map<string, Feature>;
  errors: string[];
}

const FEATURE_LINE = /^\s*([a-z0-9][a-z0-9_-]*):\s+(on|off)(?:\s+\[(fixed|requested on|requested off)\])?\s*$/;

/** All "name: on|off [fixed]" lines, sub-features (tab-indented) included, by their own names. */
export function parseEthtoolFeatures(text: string, source = "ethtool -k"): Features {
  const out: Features = { features: new Map(), errors: [] };
  for (const line of lines(text)) {
    if (line.startsWith("Features for ")) continue;
    const m = FEATURE_LINE.exec(line);
    if (m === null) {
      out.errors.push(`${source}: unexpected line ${excerpt(line)}`);
      continue;
    }
    const feature: Feature = { on: m[2] === "on", fixed: m[3] === "fixed" };
    if (m[3]?.startsWith("requested")) feature.requested = m[3] === "requested on";
    out.features.set(m[1] as string, feature);
  }
  if (out.features.size === 0) throw new ParseError(source, `no "feature: on|off" lines${out.errors.length > 0 ? ` (${out.errors[0]})` : ""}`);
  return out;
}

export interface Qdisc {
  kind: string;
  handle: string;
  /** "root", "ingress", "clsact" or "parent <id>". */
  attach: string;
}

/** Each "qdisc <kind> <handle> root|parent X|ingress ..." line; garbage lines throw. Empty output: no qdisc. */
export function parseQdiscs(text: string, source = "tc qdisc show"): Qdisc[] {
  const out: Qdisc[] = [];
  for (const line of lines(text)) {
    const [word, kind, handle, attach, parent] = words(line);
    if (word !== "qdisc" || kind === undefined || handle === undefined || attach === undefined) {
      throw new ParseError(source, `expected "qdisc <kind> <handle> root|parent ...", got ${excerpt(line)}`);
    }
    out.push({ kind, handle, attach: attach === "parent" ? `parent ${parent ?? ""}` : attach });
  }
  return out;
}

/** The root qdisc's kind, or undefined when the device has none (e.g. never brought up). */
export function rootQdisc(qdiscs: readonly Qdisc[]): string | undefined {
  return qdiscs.find((q) => q.attach === "root")?.kind;
}

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

/**
 * `tc qdisc show` for every device at once: each line "qdisc <kind> <handle> dev <if> root|parent ...";
 * returns the root qdisc kind per device. Lines of another shape throw.
 */
export function parseAllRootQdiscs(text: string, source = "tc qdisc show"): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines(text)) {
    const w = words(line);
    const dev = w.indexOf("dev");
    if (w[0] !== "qdisc" || w[1] === undefined || dev < 0 || w[dev + 1] === undefined) {
      throw new ParseError(source, `expected "qdisc <kind> <handle> dev <if> ...", got ${excerpt(line)}`);
    }
    if (w[dev + 2] === "root") out.set(w[dev + 1] as string, w[1]);
  }
  return out;
}
