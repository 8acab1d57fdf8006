// The tap interfaces of a guest and their counters (vm_net). A tap is found by the QEMU process's open /dev/net/tun
// descriptors: /proc/<pid>/fdinfo/<fd> names the interface ("iff:\t<name>"). why: libvirt opens the
// taps itself and passes QEMU file descriptors (-netdev tap,fd=N), so its command line names no interface; a
// hand-started QEMU names it (-netdev tap,ifname=NAME), the fallback when fdinfo cannot be read.
import type { FieldValue, Sample } from "@eastwest/common";
import type { SampleContext } from "../types.ts";
import { mapLimit, readStamp } from "../shared/sources.ts";
import { point, pushPoint } from "../shared/points.ts";
import { perSecond, type RateMemory } from "../shared/rates.ts";
import { splitOpts } from "./vm.cmdline.ts";

/** Where a guest's taps were found: its tun descriptors, its command line, or nowhere. */
export interface TapMap {
  ifaces: string[];
  how: "fdinfo" | "cmdline" | "none";
}

/** The interface a tun descriptor is attached to ("iff:\t<name>" in its fdinfo); undefined when absent or malformed. */
export function parseTunIff(fdinfo: string): string | undefined {
  const m = /^iff:\s*(\S+)\s*$/m.exec(fdinfo);
  const name = m?.[1];
  return name !== undefined && name.length <= 15 && !name.includes("/") ? name : undefined;
}

/** Interface names of `-netdev tap,ifname=X`, `-nic tap,ifname=X`, `-net tap,ifname=X` and the JSON form of -netdev. */
export function cmdlineTaps(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const flag = (argv[i] ?? "").replace(/^--/, "-");
    if (flag !== "-netdev" && flag !== "-nic" && flag !== "-net") continue;
    const value = argv[++i] ?? "";
    if (value.startsWith("{")) {
      const name = jsonTap(value);
      if (name !== undefined) out.push(name);
      continue;
    }
    const opts = splitOpts(value, "type");
    const ifname = opts.find(([k]) => k === "ifname")?.[1];
    if (opts.some(([k, v]) => k === "type" && v === "tap") && ifname) out.push(ifname);
  }
  return [...new Set(out)];
}

function jsonTap(text: string): string | undefined {
  try {
    const o = JSON.parse(text) as { type?: unknown; ifname?: unknown };
    return o.type === "tap" && typeof o.ifname === "string" && o.ifname !== "" ? o.ifname : undefined;
  } catch {
    return undefined;
  }
}

/** `fn`, or undefined when it fails (a descriptor closed meanwhile, an unreadable file). */
async function quiet<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch {
    return undefined;
  }
}

/** The guest's taps: from its tun descriptors, else from its command line (`argvTaps`). */
export async function findTaps(ctx: SampleContext, pid: number, argvTaps: readonly string[]): Promise<TapMap> {
  const fds = (await quiet(() => ctx.fs.procDir(`${pid}/fd`))) ?? [];
  const names = await mapLimit(fds, 16, async (fd) => {
    if ((await quiet(() => ctx.fs.procLink(`${pid}/fd/${fd}`))) !== "/dev/net/tun") return undefined;
    return parseTunIff((await quiet(() => ctx.fs.proc(`${pid}/fdinfo/${fd}`))) ?? "");
  });
  const found = [...new Set(names.filter((n): n is string => n !== undefined))].sort();
  if (found.length > 0) return { ifaces: found, how: "fdinfo" };
  return argvTaps.length > 0 ? { ifaces: [...argvTaps], how: "cmdline" } : { ifaces: [], how: "none" };
}

/**
 * /sys/class/net/<iface>/statistics file -> vm_net counter. The tap's counters are the host's view (its rx is what
 * the guest sent); vm_net is the guest's view, as libvirt's domstats give it, so rx and tx swap.
 */
const STATS: ReadonlyArray<readonly [string, string]> = [
  ["tx_bytes", "rx_bytes"],
  ["rx_bytes", "tx_bytes"],
  ["tx_packets", "rx_packets"],
  ["rx_packets", "tx_packets"],
  ["tx_dropped", "rx_drops"],
  ["rx_dropped", "tx_drops"],
];

const U64 = /^\d{1,20}$/;

/** The tap's counters, or why not (the interface is gone, or lives in another network namespace). */
export async function readTap(ctx: SampleContext, iface: string): Promise<Record<string, bigint> | string> {
  const out: Record<string, bigint> = {};
  for (const [file, counter] of STATS) {
    let text: string;
    try {
      text = (await ctx.fs.sys(`class/net/${iface}/statistics/${file}`)).trim();
    } catch {
      return `no /sys/class/net/${iface} in the agent's network namespace (gone, or in another one)`;
    }
    if (!U64.test(text)) return `/sys/class/net/${iface}/statistics/${file}: not a counter: ${JSON.stringify(text.slice(0, 40))}`;
    out[counter] = BigInt(text);
  }
  return out;
}

/** vm_net points of one guest's taps; problems (one per tap that cannot be read) go to `problems`. */
export async function tapPoints(ctx: SampleContext, memory: RateMemory, vm: { pid: number; name: string; uuid: string }, taps: TapMap, problems: string[]): Promise<Sample[]> {
  const out: Sample[] = [];
  for (const iface of taps.ifaces) {
    const stamp = readStamp(ctx);
    const counters = await readTap(ctx, iface);
    const readNs = stamp.done() ?? ctx.nowNs;
    if (typeof counters === "string") {
      problems.push(`vm ${vm.name}: tap ${iface}: ${counters}`);
      continue;
    }
    const fields: Record<string, FieldValue> = {};
    for (const [name, v] of Object.entries(counters)) fields[`${name}_total`] = v;
    const interval = memory.step(`${vm.pid} net ${iface}`, readNs, counters);
    for (const name of Object.keys(interval?.deltas ?? {})) {
      const perS = perSecond(interval, name);
      if (perS !== undefined) fields[`${name}_per_s`] = perS;
    }
    pushPoint(out, point(ctx, "vm_net", { vm: vm.name, vm_uuid: vm.uuid, iface }, fields));
  }
  return out;
}
