// The VM lab's flags, shared by `lab vm up`, `campaign run --lab vm` and `demo --vm`, and their defaults.
import { homedir } from "node:os";
import { join } from "node:path";
import type { CollectorConfig } from "@eastwest/collector";
import type { Logger } from "@eastwest/common";
import type { VmLabOptions } from "./lab.ts";

export const VM_LAB_OPTIONS = {
  "cache-dir": { type: "string" as const },
  agent: { type: "string" as const },
  accel: { type: "string" as const },
  "mem-mib": { type: "string" as const },
  "clock-offset-s": { type: "string" as const },
  "boot-timeout-s": { type: "string" as const },
};

export const VM_LAB_USAGE = `  --cache-dir DIR      kernel, initramfs and agent build, reused by the next up
                       (root: /var/cache/eastwest/lab-vm; else ~/.cache/eastwest/lab-vm)
                                                        env EASTWEST_LAB_CACHE
  --agent DIR          a built agent (npm run build:agent: dist/eastwest-agent);
                       default: built from this checkout into the cache dir
  --accel auto|kvm|tcg (auto: kvm where hardware virtualisation works, else tcg)
  --mem-mib N          memory per guest (1024)
  --clock-offset-s A[,B]  boot guest 0 (and 1) with its clock off by A (B)
                       seconds (-rtc base=...; default: -rtc base=utc)
  --boot-timeout-s N   how long a guest's agent may take to connect (240)
`;

/** The cache dir: flag, else EASTWEST_LAB_CACHE, else by user. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.()): string {
  if (env["EASTWEST_LAB_CACHE"]) return env["EASTWEST_LAB_CACHE"];
  return uid === 0 ? "/var/cache/eastwest/lab-vm" : join(env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "eastwest", "lab-vm");
}

/** Lab options from parsed flags; problems are pushed (all at once, as every command does). */
export function vmLabOptions(values: Record<string, unknown>, base: { config: CollectorConfig; logger: Logger; say: (l: string) => void }, problems: string[]): VmLabOptions {
  const num = (flag: string, dflt: number, min: number): number => {
    const v = values[flag];
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) problems.push(`--${flag}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  const accel = (values["accel"] as string | undefined) ?? "auto";
  if (!["auto", "kvm", "tcg"].includes(accel)) problems.push(`--accel: auto, kvm or tcg, got ${JSON.stringify(accel)}`);
  const offsets = values["clock-offset-s"] === undefined ? [] : String(values["clock-offset-s"]).split(",").map(Number);
  if (offsets.length > 2 || offsets.some((n) => !Number.isInteger(n) || Math.abs(n) > 10 * 365 * 86400)) problems.push(`--clock-offset-s: one or two whole numbers of seconds, got ${JSON.stringify(values["clock-offset-s"])}`);
  return {
    ...base,
    cacheDir: (values["cache-dir"] as string | undefined) ?? defaultCacheDir(),
    ...(values["agent"] ? { agentDir: values["agent"] as string } : {}),
    accel: accel as VmLabOptions["accel"],
    memMiB: num("mem-mib", 1024, 256),
    clockOffsetS: offsets,
    bootTimeoutMs: num("boot-timeout-s", 240, 10) * 1000,
  };
}
