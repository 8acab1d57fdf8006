// KVM counters from debugfs, /sys/kernel/debug/kvm/<pid>-<fd>/<stat>: one file per stat, VM-wide (vCPU stats summed
// by the kernel). A fallback when QMP cannot answer; readable only by root, and never under kernel lockdown.
import { KVM_VCPU_COUNTERS, KVM_VM_COUNTERS, KVM_VM_GAUGES, errorMessage } from "@eastwest/common";
import type { SampleContext } from "../types.ts";

const ROOT = "kernel/debug/kvm";
const KNOWN: readonly string[] = [...KVM_VCPU_COUNTERS, ...KVM_VM_COUNTERS, ...KVM_VM_GAUGES];

export type DebugfsRead = { ok: true; stats: Record<string, bigint> } | { ok: false; reason: string };

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? "";
}

/** An operator-facing reason, starting with "debugfs: ". */
function why(err: unknown): string {
  switch (code(err)) {
    // why: with kernel lockdown (integrity or confidentiality) debugfs lists files but every read gets EPERM.
    case "EPERM":
      return "debugfs: Operation not permitted (lockdown)";
    case "EACCES":
      return "debugfs: permission denied (the agent is not root)";
    default:
      return `debugfs: ${errorMessage(err)}`;
  }
}

async function missingKvmDir(ctx: SampleContext, err: unknown): Promise<string> {
  if (code(err) !== "ENOENT") return why(err);
  try {
    const top = await ctx.fs.sysDir("kernel/debug");
    return top.length === 0 ? "debugfs: not mounted" : "debugfs: no kvm directory (kvm module not loaded?)";
  } catch {
    return "debugfs: not mounted";
  }
}

/** The VM-wide stats of the guest with QEMU pid `pid`; the reason when they cannot be read. */
export async function readDebugfs(ctx: SampleContext, pid: number): Promise<DebugfsRead> {
  let vms: string[];
  try {
    vms = await ctx.fs.sysDir(ROOT);
  } catch (err) {
    return { ok: false, reason: await missingKvmDir(ctx, err) };
  }
  const dir = vms.find((d) => d.startsWith(`${pid}-`));
  if (dir === undefined) return { ok: false, reason: `debugfs: no ${ROOT}/${pid}-<fd> directory` };
  let files: Set<string>;
  try {
    files = new Set(await ctx.fs.sysDir(`${ROOT}/${dir}`));
  } catch (err) {
    return { ok: false, reason: why(err) };
  }
  const stats: Record<string, bigint> = {};
  let firstError: unknown;
  await Promise.all(
    KNOWN.filter((s) => files.has(s)).map(async (s) => {
      try {
        const text = (await ctx.fs.sys(`${ROOT}/${dir}/${s}`)).trim();
        if (/^\d+$/.test(text)) stats[s] = BigInt(text);
      } catch (err) {
        firstError ??= err;
      }
    }),
  );
  if (Object.keys(stats).length === 0) return { ok: false, reason: firstError !== undefined ? why(firstError) : "debugfs: no known KVM stat files" };
  return { ok: true, stats };
}
