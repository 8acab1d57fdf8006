// KVM counters and interface counters of libvirt-owned guests: one `virsh domstats` per tick for all of them.
// why: libvirtd holds each guest's QMP monitor (a QEMU monitor serves one client), so the agent's own QMP session is
// never greeted; libvirt asks QEMU's query-stats on its session and hands the values out through its API.
// A failed virsh (missing, libvirtd down or stuck) backs off (1 s doubling to 60 s); the sampler falls back to QMP and
// debugfs meanwhile, and the guests' threads are read from /proc either way.
import { CommandError, errorMessage } from "@eastwest/common";
import type { SampleContext } from "../types.ts";
import { domainStats, parseDomstats, type DomainNet, type DomainText } from "./vm.domstats.parse.ts";
import { readStamp } from "../shared/sources.ts";
import { vcpuValues, vmValues } from "./vm.stats.ts";
import type { KvmRead } from "./vm.source.ts";

/** Default libvirt connection: the system QEMU driver. */
export const LIBVIRT_URI = "qemu:///system";

const TIMEOUT_MS = 5000;
const MAX_BYTES = 8 * 1024 * 1024;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 60_000;
const TCG = "no KVM stats: VM runs under tcg";
// why: --cpu-total is left out: nothing maps it (vm_thread has the CPU time of every thread from /proc), and it costs
// a cgroup read per domain.
const STATS = ["--raw", "--vcpu", "--vm", "--interface", "--state"] as const;

/** virsh argv for `domains` (names), or for every running domain when `domains` is undefined. */
export function domstatsArgs(uri: string, domains: readonly string[] | undefined): string[] {
  return ["-c", uri, "domstats", ...STATS, ...(domains === undefined ? ["--list-active"] : ["--", ...domains])];
}

/** The last "error: ..." line of virsh's stderr (virsh prints the cause last), else the exec's message. */
export function virshReason(err: unknown): string {
  if (err instanceof CommandError) {
    const lines = err.stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    const last = lines.filter((l) => l.startsWith("error:")).at(-1) ?? lines.at(-1);
    if (last !== undefined) return `virsh domstats: ${last.replace(/^error:\s*/, "").slice(0, 200)}`;
  }
  return errorMessage(err).slice(0, 200);
}

/** What libvirt said this tick: domains by name and problems with the text, or why there is nothing. */
/** readNs: when virsh read the stats, by the tick's readClock (absent when the context has none). */
export type DomstatsTick = { ok: true; domains: ReadonlyMap<string, DomainText>; problems: string[]; readNs?: bigint } | { ok: false; reason: string };

export class DomstatsReader {
  #retryAtMs = 0;
  #backoffMs = BACKOFF_MIN_MS;
  #reason = "";

  /** One virsh for `domains` (retried once for all running domains when one of them is gone). */
  async read(ctx: SampleContext, uri: string, domains: readonly string[]): Promise<DomstatsTick> {
    const nowMs = Number(ctx.nowNs / 1_000_000n);
    if (nowMs < this.#retryAtMs) return { ok: false, reason: this.#reason };
    let stdout: string;
    const stamp = readStamp(ctx);
    try {
      stdout = await this.#run(ctx, uri, domains);
    } catch (err) {
      this.#reason = `libvirt ${uri}: ${virshReason(err)}`;
      this.#retryAtMs = nowMs + this.#backoffMs;
      this.#backoffMs = Math.min(this.#backoffMs * 2, BACKOFF_MAX_MS);
      return { ok: false, reason: this.#reason };
    }
    this.#backoffMs = BACKOFF_MIN_MS;
    const parsed = parseDomstats(stdout);
    const readNs = stamp.done();
    return { ok: true, domains: new Map(parsed.domains.map((d) => [d.name, d])), problems: parsed.problems, ...(readNs === undefined ? {} : { readNs }) };
  }

  async #run(ctx: SampleContext, uri: string, domains: readonly string[]): Promise<string> {
    const opts = { signal: ctx.signal, timeoutMs: TIMEOUT_MS, maxBytes: MAX_BYTES };
    try {
      return (await ctx.exec("virsh", domstatsArgs(uri, domains), opts)).stdout;
    } catch (err) {
      // why: virsh domstats NAME... fails as a whole when one domain is gone (it exited since discovery).
      if (!(err instanceof CommandError && /failed to get domain/.test(err.stderr))) throw err;
      return (await ctx.exec("virsh", domstatsArgs(uri, undefined), opts)).stdout;
    }
  }
}

/** One guest's share of a tick: its KVM counters (or why none), its interfaces, and problems with the values. */
export interface LibvirtGuest {
  kvm: KvmRead | undefined;
  /** Why libvirt gave no KVM counters for a guest that runs under kvm (then the sampler tries QMP and debugfs). */
  reason: string | undefined;
  nets: DomainNet[];
  /** When the stats were read (DomstatsTick.readNs). */
  readNs?: bigint;
  problems: string[];
}

/** Maps the domain `name`'s stats of `tick` for a guest whose command line asked for accelerator `accel`. */
export function libvirtGuest(tick: DomstatsTick, uri: string, name: string, accel: string): LibvirtGuest {
  if (!tick.ok) return { kvm: undefined, reason: tick.reason, nets: [], problems: [] };
  const text = tick.domains.get(name);
  if (text === undefined) return { kvm: undefined, reason: `libvirt ${uri}: no running domain ${JSON.stringify(name)}`, nets: [], problems: [] };
  const stats = domainStats(text.values);
  const problems = stats.problems.map((p) => `vm ${name}: ${p}`);
  const vcpus = stats.vcpuStats.map((v) => ({ index: v.index, values: vcpuValues(v.stats) }));
  const vm = vmValues(stats.vmStats, vcpus.map((v) => v.values));
  const counted = Object.keys(vm.counters).length + Object.keys(vm.gauges).length > 0;
  const at = tick.readNs === undefined ? {} : { readNs: tick.readNs };
  const base = { kind: "libvirt" as const, accel, vcpuTids: new Map<number, number>(), ...at };
  if (counted) return { kvm: { ...base, vm, vcpus }, reason: undefined, nets: stats.nets, problems, ...at };
  // why: libvirt asks query-stats only of a kvm guest; under tcg there is nothing to ask.
  if (accel !== "kvm") return { kvm: { ...base, kind: "unavailable", reason: accel === "tcg" ? TCG : `no KVM stats: VM runs under ${accel}` }, reason: undefined, nets: stats.nets, problems, ...at };
  return { kvm: undefined, reason: `libvirt ${uri}: no KVM stats for ${JSON.stringify(name)} (needs libvirt >= 8.x and QEMU >= 7.1)`, nets: stats.nets, problems, ...at };
}
