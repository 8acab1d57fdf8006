// Reads and writes the host state the settings actions touch: tools with argument arrays (ethtool, tc,
// ip, modprobe) and the sysctl files.
//
// why a second /proc writer: HostFs is read-only by design (samplers must never write); this is the one
// module that writes /proc, and only the allow-listed sysctl files (settings.kinds.ts). A sysctl under
// /proc/sys/net belongs to the writer's network namespace, so an agent changes its own namespace only.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@eastwest/common";
import type { Exec } from "../../runtime/exec.ts";
import type { HostFs } from "../../runtime/hostfs.ts";
import { parseUintFile } from "../../host/sysfs.parse.ts";
import { SYSCTLS, sysctlPath } from "./settings.kinds.ts";
import { featureMap, rootQdisc, type FeatureMap, type RootQdisc } from "./settings.state.ts";

export interface SettingsDeps {
  exec: Exec;
  fs: HostFs;
  logger: Logger;
  /** Aborts the tool runs of an apply (what was applied is then rolled back); restores never use it. */
  signal?: AbortSignal;
  /** Writes a file under /proc, e.g. ("sys/net/core/busy_read", "50"). Default: node:fs under fs.procRoot. */
  writeProc?: (rel: string, text: string) => Promise<void>;
}

/** Per tool run (ms). */
export const TOOL_TIMEOUT_MS = 10_000;

/** Runs a tool; `signal` only when given (apply phase). Resolves with stdout. */
export async function tool(deps: SettingsDeps, file: string, args: readonly string[], signal?: AbortSignal): Promise<string> {
  return (await deps.exec(file, args, { timeoutMs: TOOL_TIMEOUT_MS, ...(signal ? { signal } : {}) })).stdout;
}

/** Interface names listed in /sys/class/net. */
export async function readInterfaces(deps: SettingsDeps): Promise<Set<string>> {
  return new Set(await deps.fs.sysDir("class/net"));
}

export async function readFeatures(deps: SettingsDeps, iface: string): Promise<FeatureMap> {
  return featureMap(await tool(deps, "ethtool", ["-k", iface]), `ethtool -k ${iface}`);
}

export async function readQdisc(deps: SettingsDeps, iface: string): Promise<RootQdisc | null> {
  return rootQdisc(await tool(deps, "tc", ["qdisc", "show", "dev", iface]), `tc qdisc show dev ${iface}`);
}

/** MTU (bytes) from /sys/class/net/<if>/mtu. */
export async function readMtu(deps: SettingsDeps, iface: string): Promise<number> {
  return Number(parseUintFile(await deps.fs.sys(`class/net/${iface}/mtu`), `/sys/class/net/${iface}/mtu`));
}

/** An allow-listed sysctl's value in the rule's normalized form. */
export async function readSysctl(deps: SettingsDeps, key: string): Promise<string> {
  const rule = SYSCTLS[key];
  if (rule === undefined) throw new Error(`sysctl ${key} is not allow-listed`);
  return rule.normalize(await deps.fs.proc(sysctlPath(key)));
}

export async function writeSysctl(deps: SettingsDeps, key: string, value: string): Promise<void> {
  if (SYSCTLS[key] === undefined) throw new Error(`sysctl ${key} is not allow-listed`);
  const write = deps.writeProc ?? ((rel: string, text: string) => writeFile(join(deps.fs.procRoot, rel), text));
  await write(sysctlPath(key), `${value}\n`);
}

export async function readAvailableCongestion(deps: SettingsDeps): Promise<string[]> {
  return (await deps.fs.proc("sys/net/ipv4/tcp_available_congestion_control")).split(/\s+/).filter((w) => w !== "");
}
