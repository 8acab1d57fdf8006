// pmu options and what to count: the host (always) plus at most MAX_VMS QEMU processes, each as its own perf child.
import type { HostFs } from "../../runtime/hostfs.ts";
import { intOption, unknownKeys, type Parsed } from "../shared/options.ts";
import { PERF_INTERVAL_MS } from "../shared/perf/perf-deps.ts";

/** Upper bound of per-VM perf children (each one is a process and a set of counters per vCPU thread). */
export const MAX_VMS = 8;

export interface PmuOptions {
  /** Processes to count besides the host (QEMU pids). */
  pids: number[];
  /** Also count every running QEMU process (found by /proc/<pid>/comm). */
  vmPids: boolean;
  /** At most this many per-VM children (1..8). */
  maxVms: number;
  /** perf's -I interval, ms; ticks sum the intervals completed since the previous tick. */
  perfIntervalMs: number;
}

export function parsePmuOptions(options: Readonly<Record<string, unknown>>): Parsed<PmuOptions> {
  const problems = unknownKeys(options, ["pids", "vmPids", "maxVms", "perfIntervalMs"]);
  const maxVms = intOption(options, "maxVms", MAX_VMS, 1, MAX_VMS);
  const interval = intOption(options, "perfIntervalMs", PERF_INTERVAL_MS.default, PERF_INTERVAL_MS.min, PERF_INTERVAL_MS.max);
  problems.push(...maxVms.problems, ...interval.problems);
  const rawPids = options["pids"] ?? [];
  const pids = Array.isArray(rawPids) ? rawPids.filter((p): p is number => Number.isInteger(p) && (p as number) > 0) : [];
  if (!Array.isArray(rawPids) || pids.length !== rawPids.length || pids.length > MAX_VMS) {
    problems.push(`pids: expected a list of at most ${MAX_VMS} positive integers`);
  }
  const vmPids = options["vmPids"] ?? false;
  if (typeof vmPids !== "boolean") problems.push("vmPids: expected true or false");
  return { value: { pids, vmPids: vmPids === true, maxVms: maxVms.value, perfIntervalMs: interval.value }, problems };
}

/** A QEMU process as seen in /proc. */
export interface VmProcess {
  pid: number;
  /** The guest's -name (without "guest=" and sub-options), else "pid-<pid>". */
  vm: string;
}

/** comm of a QEMU system emulator: "qemu-system-x86" (comm is cut to 15 characters), "qemu-kvm" (RHEL). */
export function isQemuComm(comm: string): boolean {
  return /^qemu-(system-.+|kvm)$/.test(comm.trim());
}

/** The guest name from QEMU's argv: "-name guest=vm1,debug-threads=on" or "-name vm1" -> "vm1". */
export function qemuName(argv: readonly string[]): string | undefined {
  const i = argv.findIndex((a) => a === "-name" || a === "--name");
  const value = i >= 0 ? argv[i + 1] : undefined;
  if (value === undefined || value === "") return undefined;
  const first = value.split(",")[0] ?? "";
  const name = first.startsWith("guest=") ? first.slice("guest=".length) : first;
  return name === "" ? undefined : name;
}

async function vmOf(fs: HostFs, pid: number): Promise<VmProcess | undefined> {
  try {
    const argv = (await fs.proc(`${pid}/cmdline`)).split("\0");
    return { pid, vm: qemuName(argv) ?? `pid-${pid}` };
  } catch {
    return undefined;
  }
}

/**
 * The processes to count: `pids` first, then QEMU processes (when vmPids), in pid order, at most maxVms.
 * `dropped` counts processes over the bound; `problems` names configured pids that are gone.
 */
export async function vmTargets(fs: HostFs, o: PmuOptions): Promise<{ vms: VmProcess[]; dropped: number; problems: string[] }> {
  const problems: string[] = [];
  const wanted = new Set<number>(o.pids);
  if (o.vmPids) for (const pid of await qemuPids(fs)) wanted.add(pid);
  const vms: VmProcess[] = [];
  let dropped = 0;
  for (const pid of wanted) {
    if (vms.length >= o.maxVms) {
      dropped += 1;
      continue;
    }
    const vm = await vmOf(fs, pid);
    if (vm !== undefined) vms.push(vm);
    else if (o.pids.includes(pid)) problems.push(`pid ${pid}: no such process`);
  }
  return { vms, dropped, problems };
}

async function qemuPids(fs: HostFs): Promise<number[]> {
  const pids = (await fs.procDir("")).filter((e) => /^\d+$/.test(e)).map(Number).sort((a, b) => a - b);
  const out: number[] = [];
  for (const pid of pids) {
    const comm = await fs.proc(`${pid}/comm`).catch(() => "");
    if (isQemuComm(comm)) out.push(pid);
  }
  return out;
}
