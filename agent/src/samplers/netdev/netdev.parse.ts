// Pure parser of /proc/net/dev: per-interface counters of the reader's network namespace.
import { ParseError } from "@eastwest/common";
import { excerpt, lines, uint, words } from "../../host/text.ts";
import { Shape, UINT } from "../shared/shape.ts";

/** The 16 columns after "iface:", in kernel order (net/core/net-procfs.c dev_seq_printf_stats). */
export const NETDEV_COLUMNS = [
  "rx_bytes", "rx_packets", "rx_errs", "rx_drop", "rx_fifo", "rx_frame", "rx_compressed", "rx_multicast",
  "tx_bytes", "tx_packets", "tx_errs", "tx_drop", "tx_fifo", "tx_colls", "tx_carrier", "tx_compressed",
] as const;
export type NetDevColumn = (typeof NETDEV_COLUMNS)[number];

export interface NetDevStats {
  interface: string;
  counters: Record<NetDevColumn, bigint>;
}

export interface NetDev {
  interfaces: NetDevStats[];
  errors: string[];
}

const SOURCE = "/proc/net/dev";

export function parseNetDev(text: string): NetDev {
  const out: NetDev = { interfaces: [], errors: [] };
  let headers = 0;
  for (const line of lines(text)) {
    if (line.includes("|")) {
      headers++;
      continue;
    }
    const parsed = parseLine(line);
    if (typeof parsed === "string") out.errors.push(parsed);
    else out.interfaces.push(parsed);
  }
  if (headers === 0 && out.interfaces.length === 0) {
    throw new ParseError(SOURCE, `no header and no interface lines${out.errors.length > 0 ? ` (${out.errors[0]})` : ""}`);
  }
  return out;
}

function parseLine(line: string): NetDevStats | string {
  // why: interface names cannot contain ':' (dev_valid_name), and old kernels print "eth0:123" without a space.
  const colon = line.indexOf(":");
  if (colon <= 0) return `${SOURCE}: no "iface:" in ${excerpt(line)}`;
  const name = line.slice(0, colon).trim();
  const values = words(line.slice(colon + 1));
  if (values.length < NETDEV_COLUMNS.length) return `${SOURCE}: truncated line for ${name} (${values.length} of ${NETDEV_COLUMNS.length} columns)`;
  const counters = {} as Record<NetDevColumn, bigint>;
  for (const [i, column] of NETDEV_COLUMNS.entries()) {
    const v = uint(values[i]);
    if (v === undefined) return `${SOURCE}: bad ${column} for ${name}: ${excerpt(values[i] ?? "")}`;
    counters[column] = v;
  }
  return { interface: name, counters };
}

/** /proc/net/dev by position: per interface (file order) its NETDEV_COLUMNS.length counters, one after another. */
export interface NetDevValues {
  interfaces: string[];
  values: ReadonlyArray<bigint | undefined>;
}

/** A full parse in the positional form. */
export function netDevValues(dev: NetDev): NetDevValues {
  return { interfaces: dev.interfaces.map((r) => r.interface), values: dev.interfaces.flatMap((r) => NETDEV_COLUMNS.map((c) => r.counters[c])) };
}

/** The shape of a /proc/net/dev text that parsed without errors, and its interfaces; undefined when it has none. */
export function netDevShape(text: string): { shape: Shape; interfaces: string[] } | undefined {
  const interfaces: string[] = [];
  const shape = Shape.of(text, (words) => {
    if (words.some((w) => w.includes("|"))) return words;
    // why: only the kernel's own layout ("name:" then exactly the 16 counters) is described; older layouts
    // ("eth0:123") and extra columns are left to the full parser.
    const [name = "", ...values] = words;
    if (!name.endsWith(":") || name.length < 2 || values.length !== NETDEV_COLUMNS.length) return undefined;
    interfaces.push(name.slice(0, -1));
    return [name, ...values.map(() => UINT)];
  });
  return shape === undefined ? undefined : { shape, interfaces };
}
