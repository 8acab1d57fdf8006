// Reading resctrl memory-bandwidth monitoring (MBM) through HostFs: /sys/fs/resctrl, its monitoring groups and
// their per-L3-domain counters (Documentation/arch/x86/resctrl.rst, "Monitoring" and "Reading monitored data").
import { ParseError, errorMessage } from "@eastwest/common";
import type { HostFs } from "../../runtime/hostfs.ts";
import { parseMbmValue } from "./membw.parse.ts";

const ROOT = "fs/resctrl";
/** Monitored files, by the counter name the sampler uses. */
const FILES: ReadonlyArray<readonly [string, string]> = [
  ["total_bytes", "mbm_total_bytes"],
  ["local_bytes", "mbm_local_bytes"],
  ["llc_occupancy_bytes", "llc_occupancy"],
];

export interface MbmGroup {
  /** "" for the root group, "<ctrl>" for a control group, "mon_groups/<m>" or "<ctrl>/mon_groups/<m>" for a monitor group. */
  group: string;
  /** Summed over the group's L3 domains; a file some domain could not give is left out. */
  values: Partial<Record<"total_bytes" | "local_bytes" | "llc_occupancy_bytes", bigint>>;
  problems: string[];
}

async function dir(fs: HostFs, rel: string): Promise<string[] | undefined> {
  try {
    return (await fs.sysDir(rel)).sort();
  } catch {
    return undefined;
  }
}

/** Why resctrl MBM is not usable here, or undefined when /sys/fs/resctrl/mon_data has an L3 domain. */
export async function resctrlProblem(fs: HostFs): Promise<string | undefined> {
  const domains = await dir(fs, `${ROOT}/mon_data`);
  if (domains?.some((d) => d.startsWith("mon_L3_"))) return undefined;
  if ((await dir(fs, `${ROOT}/info`)) !== undefined) return "resctrl is mounted without L3 monitoring: no mon_data/mon_L3_*";
  const filesystems = await fs.proc("filesystems").catch(() => "");
  if (!/\bresctrl\b/.test(filesystems)) return "this kernel has no resctrl filesystem: needs CONFIG_X86_CPU_RESCTRL and a CPU with Intel RDT or AMD PQoS";
  return "resctrl is not mounted: mount -t resctrl resctrl /sys/fs/resctrl";
}

/** Group paths (relative to /sys/fs/resctrl, "" for root) that have mon_data, root first, at most `max`. */
export async function mbmGroups(fs: HostFs, max: number): Promise<{ groups: string[]; dropped: number }> {
  const found: string[] = [""];
  const monGroups = async (base: string): Promise<void> => {
    const prefix = base === "" ? "mon_groups" : `${base}/mon_groups`;
    for (const m of (await dir(fs, `${ROOT}/${prefix}`)) ?? []) {
      if ((await dir(fs, `${ROOT}/${prefix}/${m}/mon_data`)) !== undefined) found.push(`${prefix}/${m}`);
    }
  };
  await monGroups("");
  for (const entry of (await dir(fs, ROOT)) ?? []) {
    if (entry === "info" || entry === "mon_data" || entry === "mon_groups") continue;
    if ((await dir(fs, `${ROOT}/${entry}/mon_data`)) === undefined) continue;
    found.push(entry);
    await monGroups(entry);
  }
  return { groups: found.slice(0, max), dropped: Math.max(0, found.length - max) };
}

async function readValue(fs: HostFs, rel: string): Promise<bigint | string | undefined> {
  let text: string;
  try {
    text = await fs.sys(rel);
  } catch (err) {
    // A file the hardware does not offer (e.g. no mbm_local_bytes) is absent, not an error.
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? undefined : `/sys/${rel}: ${errorMessage(err)}`;
  }
  try {
    const v = parseMbmValue(text, `/sys/${rel}`);
    return typeof v === "bigint" ? v : `/sys/${rel}: ${v}`;
  } catch (err) {
    if (err instanceof ParseError) return err.message;
    throw err;
  }
}

/** One group's counters, summed over its mon_L3_* domains. */
export async function readMbmGroup(fs: HostFs, group: string): Promise<MbmGroup> {
  const base = group === "" ? `${ROOT}/mon_data` : `${ROOT}/${group}/mon_data`;
  const out: MbmGroup = { group, values: {}, problems: [] };
  const domains = ((await dir(fs, base)) ?? []).filter((d) => d.startsWith("mon_L3_"));
  for (const [name, file] of FILES) {
    let sum = 0n;
    let complete = domains.length > 0;
    let seen = false;
    for (const d of domains) {
      const v = await readValue(fs, `${base}/${d}/${file}`);
      if (typeof v === "bigint") {
        sum += v;
        seen = true;
      } else {
        complete = false;
        if (typeof v === "string") out.problems.push(v);
      }
    }
    if (complete && seen) out.values[name as keyof MbmGroup["values"]] = sum;
  }
  return out;
}
