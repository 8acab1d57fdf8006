// Where one guest's KVM counters come from: QMP query-stats, else debugfs, else a reason.
// One short QMP session per tick, not a connection held across ticks. why: a QEMU monitor socket serves one client at
// a time (further connect()s fail with EAGAIN or wait ungreeted), so a held session would lock out operators' tools
// and other agents. What a session learns once (accelerator, vCPU ids, stat units) is kept across sessions.
// Failures back off so an unreachable or stuck monitor (libvirtd holds its own) does not cost every tick; a slow
// monitor that answers within qmpTimeoutMs is no failure: the session outlives the tick (vm.pace.ts).
import { errorMessage } from "@eastwest/common";
import type { SampleContext } from "../types.ts";
import { openQmp, type QmpClient } from "./qmp.ts";
import { QmpError } from "./qmp.protocol.ts";
import { readStamp } from "../shared/sources.ts";
import { readDebugfs } from "./vm.debugfs.ts";
import { Pacer } from "./vm.pace.ts";
import { parseCpusFast, parseQueryStats, parseStatsSchemas, vcpuValues, vmValues, type CpuInfo, type KvmValues, type StatsSchema } from "./vm.stats.ts";

export type KvmSourceKind = "qmp" | "debugfs" | "libvirt" | "unavailable";

export interface KvmRead {
  kind: KvmSourceKind;
  /** Accelerator in use: from QMP query-kvm when connected, else the command line's. */
  accel: string;
  vm?: KvmValues;
  /** Per vCPU (cpu-index) values; QMP and libvirt only. */
  vcpus?: Array<{ index: number; values: KvmValues }>;
  /** vCPU thread id -> cpu-index (QMP query-cpus-fast), for vm_thread. */
  vcpuTids: ReadonlyMap<number, number>;
  /** Why there are no counters (kind "unavailable"), or why the preferred source was passed over (libvirt, QMP). */
  reason?: string;
  /**
   * late: the counters of a session that ended after its own tick (read up to one interval before this tick);
   * pending: no counters this tick, a session is still under way (`reason` says for how long).
   */
  pace?: "late" | "pending";
  /** When the counters were read, by the tick's readClock (readStamp); absent when the context has none. */
  readNs?: bigint;
}

export interface GuestRef {
  pid: number;
  accel: string;
  qmpSocket: string | undefined;
  /** Why the command line's monitor cannot be used, or why none was found. */
  qmpProblem: string | undefined;
}

/** Default bound of one QMP session (connect, greeting, commands): the qmpTimeoutMs option. */
export const QMP_TIMEOUT_MS = 5000;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 60_000;
const TCG = "no KVM stats: VM runs under tcg";
const stats = (target: string) => ({ target, providers: [{ provider: "kvm" }] });

export class KvmSource {
  readonly #guest: GuestRef;
  #session: QmpClient | undefined;
  #learned = false;
  #schema: StatsSchema | undefined;
  #cpus: CpuInfo[] = [];
  #accel: string;
  #retryAtMs = 0;
  #backoffMs = BACKOFF_MIN_MS;
  #qmpReason: string | undefined;
  readonly #pacer = new Pacer<KvmRead | string>();
  #lastKind: KvmSourceKind = "qmp";
  /** Set when this QEMU has no query-stats (it cannot gain it without a restart, i.e. a new pid). */
  #unsupported: string | undefined;

  constructor(guest: GuestRef) {
    this.#guest = guest;
    this.#accel = guest.accel;
  }

  /** This tick's counters; a QMP session may take up to `timeoutMs`, and the tick waits for it until `wait` aborts. */
  async read(ctx: SampleContext, timeoutMs = QMP_TIMEOUT_MS, wait: AbortSignal = ctx.signal): Promise<KvmRead> {
    const paced = await this.#pacer.next(wait, timeoutMs, (signal) => this.#viaQmp(ctx, signal, timeoutMs));
    if (paced.kind === "pending") {
      const reason = `QMP session slower than the tick (${paced.forMs} ms so far, up to ${timeoutMs} ms): no KVM counters this tick`;
      return { kind: this.#lastKind, accel: this.#accel, vcpuTids: this.#tids(), reason, pace: "pending" };
    }
    const out = await this.#counters(ctx, paced.value);
    this.#lastKind = out.kind;
    return paced.kind === "late" && out.kind === "qmp" ? { ...out, pace: "late" } : out;
  }

  async #counters(ctx: SampleContext, viaQmp: KvmRead | string): Promise<KvmRead> {
    if (typeof viaQmp !== "string") return viaQmp;
    if (this.#accel !== "kvm") return this.#none(this.#accel === "tcg" ? TCG : `no KVM stats: VM runs under ${this.#accel}`);
    const stamp = readStamp(ctx);
    const fs = await readDebugfs(ctx, this.#guest.pid);
    const readNs = stamp.done();
    if (fs.ok) return { kind: "debugfs", accel: this.#accel, vm: vmValues(fs.stats, []), vcpuTids: this.#tids(), reason: viaQmp, ...(readNs === undefined ? {} : { readNs }) };
    return this.#none(`${viaQmp}; ${fs.reason}`);
  }

  /** Idempotent: ends a session in flight. */
  close(): void {
    this.#pacer.close();
    this.#session?.close();
    this.#session = undefined;
  }

  #none(reason: string): KvmRead {
    return { kind: "unavailable", accel: this.#accel, vcpuTids: this.#tids(), reason };
  }

  #tids(): Map<number, number> {
    return new Map(this.#cpus.filter((c) => c.threadId > 0).map((c) => [c.threadId, c.index]));
  }

  /** Counters over one QMP session, or why not. What cannot change while the process lives is not asked again. */
  async #viaQmp(ctx: SampleContext, signal: AbortSignal, timeoutMs: number): Promise<KvmRead | string> {
    const nowNs = ctx.nowNs;
    if (this.#learned && this.#accel !== "kvm") return TCG;
    if (this.#unsupported !== undefined) return this.#unsupported;
    const client = await this.#open(nowNs, signal, timeoutMs);
    if (typeof client === "string") return client;
    try {
      if (!this.#learned) await this.#learn(client, signal);
      return await this.#query(client, signal, ctx);
    } catch (err) {
      if (err instanceof QmpError && err.errorClass === "CommandNotFound") {
        this.#unsupported = `QMP query-stats not supported by QEMU ${client.version} (needs >= 7.1)`;
        return this.#unsupported;
      }
      // A lost connection or no reply within qmpTimeoutMs: back off like a failed connect, so a stuck monitor costs no tick.
      return this.#backOff(nowNs, signal.aborted ? `${errorMessage(err)} (qmpTimeoutMs ${timeoutMs})` : errorMessage(err));
    } finally {
      client.close();
      if (this.#session === client) this.#session = undefined;
    }
  }

  /** Remembers `reason` and the time of the next attempt (1 s, doubling to 60 s). */
  #backOff(nowNs: bigint, reason: string): string {
    this.#retryAtMs = Number(nowNs / 1_000_000n) + this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, BACKOFF_MAX_MS);
    this.#qmpReason = reason;
    return reason;
  }

  async #query(client: QmpClient, signal: AbortSignal, ctx: SampleContext): Promise<KvmRead | string> {
    // why: the stamp is the session's, whichever tick takes its counters (a late session's are read in an earlier one)
    const stamp = readStamp(ctx);
    const [vmRet, vcpuRet] = await Promise.all([client.execute("query-stats", stats("vm"), signal), client.execute("query-stats", stats("vcpu"), signal)]);
    const readNs = stamp.done();
    let parsed = parseQueryStats(vmRet, vcpuRet, this.#cpus);
    if (parsed.vcpus.some((v) => !this.#cpus.some((c) => c.qomPath === v.qomPath))) {
      // why: a vCPU was hot-plugged since the ids were learned.
      this.#cpus = parseCpusFast(await client.execute("query-cpus-fast", undefined, signal));
      parsed = parseQueryStats(vmRet, vcpuRet, this.#cpus);
    }
    if (parsed.vcpus.length === 0 && Object.keys(parsed.vm).length === 0) {
      return this.#accel === "kvm" ? "QMP query-stats returned no KVM stats (Linux < 5.14 has no binary stats)" : TCG;
    }
    const vcpus = parsed.vcpus.map((v) => ({ index: v.index, values: vcpuValues(v.stats, this.#schema?.vcpu) }));
    const vm = vmValues(parsed.vm, vcpus.map((v) => v.values), this.#schema);
    return { kind: "qmp", accel: this.#accel, vm, vcpus, vcpuTids: this.#tids(), ...(readNs === undefined ? {} : { readNs }) };
  }

  /** A greeted session, or why there is none (a failed connect backs off). */
  async #open(nowNs: bigint, signal: AbortSignal, timeoutMs: number): Promise<QmpClient | string> {
    const path = this.#guest.qmpSocket;
    if (path === undefined) return this.#guest.qmpProblem ?? "no QMP socket";
    const nowMs = Number(nowNs / 1_000_000n);
    if (nowMs < this.#retryAtMs) return this.#qmpReason ?? "QMP: waiting to reconnect";
    try {
      this.#session = await openQmp(path, signal, timeoutMs);
    } catch (err) {
      return this.#backOff(nowNs, errorMessage(err));
    }
    this.#backoffMs = BACKOFF_MIN_MS;
    this.#qmpReason = undefined;
    return this.#session;
  }

  /** Once: the accelerator in use, vCPU ids and threads, and stat units (optional: QEMU < 7.1 has no schemas). */
  async #learn(client: QmpClient, signal: AbortSignal): Promise<void> {
    const kvm = (await client.execute("query-kvm", undefined, signal)) as { enabled?: unknown } | undefined;
    // why: "-machine accel=kvm:tcg" falls back to tcg when /dev/kvm cannot be opened; query-kvm tells which ran.
    this.#accel = kvm?.enabled === true ? "kvm" : this.#guest.accel === "kvm" ? "tcg" : this.#guest.accel;
    this.#cpus = parseCpusFast(await client.execute("query-cpus-fast", undefined, signal));
    try {
      this.#schema = parseStatsSchemas(await client.execute("query-stats-schemas", undefined, signal));
    } catch (err) {
      if (!(err instanceof QmpError && err.errorClass === "CommandNotFound")) throw err;
    }
    this.#learned = true;
  }
}
