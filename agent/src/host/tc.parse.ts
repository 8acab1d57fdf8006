// Pure parsers of `tc qdisc show [dev <iface>]`.
import { ParseError } from "@eastwest/common";
import { excerpt, lines, words } from "./text.ts";

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
