// vm: QEMU guests on this host — KVM exit counters per guest and per vCPU (libvirt's domstats for libvirt-owned
// guests, else QMP query-stats, else debugfs), libvirt guests' interface counters, and the CPU time of their vCPU, IO,
// main and vhost threads (/proc/<pid>/task/*/schedstat).
import { ConfigError, type Sample } from "@eastwest/common";
import type { SampleContext, Sampler } from "../types.ts";
import { EXIT_BOARD, type ExitBoard } from "../kvmexits/exit-board.ts";
import { RateMemory } from "../shared/rates.ts";
import { intOption, unknownKeys } from "../shared/options.ts";
import { mapLimit } from "../shared/sources.ts";
import { discoverGuests, type Guest } from "./vm.discover.ts";
import { DomstatsReader, LIBVIRT_URI, libvirtGuest, type LibvirtGuest } from "./vm.domstats.ts";
import { LIBVIRT_DIR } from "./vm.libvirt.ts";
import { guestPoints } from "./vm.points.ts";
import { readTasks, scanProc, type CommEntry } from "./vm.proc.ts";
import { KvmSource, QMP_TIMEOUT_MS, type KvmRead } from "./vm.source.ts";
import { findTaps, tapPoints, type TapMap } from "./vm.taps.ts";
import { groupThreads } from "./vm.threads.ts";

interface VmOptions {
  maxVms: number;
  libvirtDir: string;
  libvirtUri: string;
  rediscoverMs: number;
  qmpTimeoutMs: number;
}

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/\S*$/;

/**
 * Options: `maxVms` (default 32), `libvirtDir` (default libvirt's system directory), `libvirtUri` (qemu:///system),
 * `rediscoverMs` (default 10 s), `qmpTimeoutMs` (default 5 s: how long one QMP session may take; the tick does not
 * wait beyond its deadline).
 */
function options(ctx: SampleContext): VmOptions {
  const maxVms = intOption(ctx.options, "maxVms", 32, 1, 1024);
  const rediscoverMs = intOption(ctx.options, "rediscoverMs", 10_000, 1000, 3_600_000);
  const qmpTimeoutMs = intOption(ctx.options, "qmpTimeoutMs", QMP_TIMEOUT_MS, 100, 60_000);
  const dir = ctx.options["libvirtDir"] ?? LIBVIRT_DIR;
  const uri = ctx.options["libvirtUri"] ?? LIBVIRT_URI;
  const problems = [...unknownKeys(ctx.options, ["maxVms", "libvirtDir", "libvirtUri", "rediscoverMs", "qmpTimeoutMs"]), ...maxVms.problems, ...rediscoverMs.problems, ...qmpTimeoutMs.problems];
  if (typeof dir !== "string" || dir === "") problems.push(`libvirtDir: expected a non-empty path, got ${JSON.stringify(dir)}`);
  if (typeof uri !== "string" || !URI.test(uri)) problems.push(`libvirtUri: expected a libvirt URI like qemu:///system, got ${JSON.stringify(uri)}`);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `vm: ${p}`));
  return { maxVms: maxVms.value, libvirtDir: dir as string, libvirtUri: uri as string, rediscoverMs: rediscoverMs.value, qmpTimeoutMs: qmpTimeoutMs.value };
}

/** Share of the interval a tick waits for QMP replies; a session still under way then goes on without the tick. */
const WAIT_SHARE = 0.8;

interface GuestState {
  guest: Guest;
  source: KvmSource;
  /** tid -> comm, read once per thread. */
  comms: Map<number, CommEntry>;
  /** The last problem reported for this guest (reported again only when it changes). */
  reported: string | undefined;
  /** Its taps, found again after each discovery. */
  taps?: TapMap;
  /** Its exits_total at the last read, for the exit board. */
  exits?: bigint;
}

/** What one tick tells the exit board (kvmexits/exit-board.ts). */
interface ExitTally {
  increase: bigint;
  guests: number;
  missed: boolean;
}

/** The guest's problem in operator terms, or undefined when its counters flow from the source it prefers. */
function problem(name: string, kvm: KvmRead): string | undefined {
  if (kvm.pace === "pending") return undefined;
  if (kvm.kind === "unavailable") return `vm ${name}: unavailable: ${kvm.reason ?? "?"}`;
  if (kvm.kind === "debugfs") return `vm ${name}: counters from debugfs (${kvm.reason ?? "?"})`;
  if (kvm.kind === "qmp" && kvm.reason !== undefined) return `vm ${name}: counters from QMP (${kvm.reason})`;
  return undefined;
}

/** QMP's or debugfs' read of a libvirt guest, with why libvirt did not answer first. */
function afterLibvirt(kvm: KvmRead, why: string | undefined): KvmRead {
  if (why === undefined) return kvm;
  // why: libvirt failed and the monitor has not answered yet: this tick the guest has no counters at all, and the
  // operator must hear about libvirt now, not when (if ever) QMP answers.
  if (kvm.pace === "pending") return { ...kvm, kind: "unavailable", pace: undefined, reason: `${why}; ${kvm.reason ?? "?"}` };
  return { ...kvm, reason: kvm.kind === "qmp" ? why : `${why}; ${kvm.reason ?? "?"}` };
}

class VmSampler implements Sampler {
  readonly name = "vm";
  readonly defaultIntervalMs = 1000;
  readonly hostOnly = true;
  // why: KVM binary stats are u64.
  readonly #memory = new RateMemory(64);
  #guests = new Map<number, GuestState>();
  #discoveredAtNs: bigint | undefined;
  #said = new Set<string>();
  readonly #domstats = new DomstatsReader();
  #dropped = 0;
  readonly #board: ExitBoard;

  constructor(board: ExitBoard) {
    this.#board = board;
  }

  async init(ctx: SampleContext): Promise<{ available: true }> {
    options(ctx);
    // No QEMU (or no /dev/kvm) is no data, not unavailability: guests may start later.
    return { available: true };
  }

  async sample(ctx: SampleContext): Promise<{ points: Sample[]; errors: string[] }> {
    const opts = options(ctx);
    const errors: string[] = [];
    const startedMs = Date.now();
    const due = this.#discoveredAtNs === undefined || ctx.nowNs - this.#discoveredAtNs >= BigInt(opts.rediscoverMs) * 1_000_000n;
    if (due) await this.#discover(ctx, opts, errors);
    const states = [...this.#guests.values()];
    const libvirt = await this.#libvirt(ctx, opts.libvirtUri, states, errors);
    const tally: ExitTally = { increase: 0n, guests: 0, missed: this.#dropped > 0 };
    let perGuest: Sample[][] = [];
    if (states.length > 0) {
      // why: a tick that waits for QMP until its deadline ends as the next tick is due, and the scheduler skips that one.
      const waitMs = Math.max(50, Math.floor((ctx.intervalMs ?? this.defaultIntervalMs) * WAIT_SHARE) - (Date.now() - startedMs));
      const wait = AbortSignal.any([ctx.signal, AbortSignal.timeout(waitMs)]);
      perGuest = await mapLimit(states, 8, (s) => this.#sampleGuest(ctx, { ...opts, wait }, s, errors, tally, libvirt.get(s.guest.pid)));
    }
    this.#memory.sweep();
    this.#board.vmTick(ctx.nowNs, tally.increase, tally.guests, tally.missed);
    return { points: perGuest.flat(), errors };
  }

  async close(): Promise<void> {
    for (const s of this.#guests.values()) s.source.close();
    this.#guests.clear();
  }

  /** Reports `message` the first time only. */
  #once(errors: string[], message: string): void {
    if (this.#said.has(message)) return;
    this.#said.add(message);
    errors.push(message);
  }

  async #discover(ctx: SampleContext, opts: VmOptions, errors: string[]): Promise<void> {
    const { guests, dropped } = await discoverGuests(await scanProc(ctx), opts.libvirtDir, opts.maxVms);
    this.#dropped = dropped;
    if (dropped > 0) this.#once(errors, `vm: ${guests.length + dropped} QEMU guests, following the first ${guests.length} by name (maxVms)`);
    const next = new Map<number, GuestState>();
    for (const guest of guests) {
      const old = this.#guests.get(guest.pid);
      if (old !== undefined && old.guest.qmpSocket === guest.qmpSocket) next.set(guest.pid, { ...old, guest, taps: undefined });
      else {
        old?.source.close();
        next.set(guest.pid, { guest, source: new KvmSource(guest), comms: new Map(), reported: undefined });
      }
    }
    for (const [pid, s] of this.#guests) if (!next.has(pid)) s.source.close();
    this.#guests = next;
    this.#discoveredAtNs = ctx.nowNs;
  }

  /** One virsh domstats for every libvirt-owned guest (none when there is none), by guest pid. */
  async #libvirt(ctx: SampleContext, uri: string, states: readonly GuestState[], errors: string[]): Promise<Map<number, LibvirtGuest>> {
    const owned = states.filter((s) => s.guest.domain !== undefined);
    if (owned.length === 0) return new Map();
    const tick = await this.#domstats.read(ctx, uri, [...new Set(owned.map((s) => s.guest.domain as string))]);
    if (tick.ok) for (const p of tick.problems) this.#once(errors, `vm: ${p}`);
    const out = new Map<number, LibvirtGuest>();
    for (const { guest } of owned) {
      const lv = libvirtGuest(tick, uri, guest.domain as string, guest.accel);
      for (const p of lv.problems) this.#once(errors, p);
      out.set(guest.pid, lv);
    }
    return out;
  }

  async #sampleGuest(ctx: SampleContext, opts: VmOptions & { wait: AbortSignal }, s: GuestState, errors: string[], tally: ExitTally, lv: LibvirtGuest | undefined): Promise<Sample[]> {
    const { guest } = s;
    let tasks;
    try {
      tasks = await readTasks(ctx, guest.pid, guest.vhost, s.comms);
    } catch {
      // The guest exited: forget it and look again next tick.
      s.source.close();
      this.#guests.delete(guest.pid);
      this.#discoveredAtNs = undefined;
      tally.missed ||= s.exits !== undefined;
      return [];
    }
    // why: the guest is alive; a tick without its counters (a late QMP reply) must not cost the next tick its rates.
    this.#memory.keep(`${guest.pid} `);
    const kvm = lv?.kvm ?? afterLibvirt(await s.source.read(ctx, opts.qmpTimeoutMs, opts.wait), lv?.reason);
    // Said once per guest: under load it comes and goes, and every tick would repeat it.
    if (kvm.pace === "pending") this.#once(errors, `vm ${guest.name}: QMP slower than the tick at times: such a tick has no KVM counters, the next has them (qmpTimeoutMs ${opts.qmpTimeoutMs})`);
    countExits(s, kvm, tally);
    const said = problem(guest.name, kvm);
    if (said !== undefined && said !== s.reported) errors.push(said);
    s.reported = said;
    const unknown = [...(kvm.vm?.unknown ?? []), ...(kvm.vcpus ?? []).flatMap((v) => v.values.unknown)].filter((u) => !this.#said.has(u));
    if (unknown.length > 0) {
      for (const stat of unknown) this.#said.add(stat);
      errors.push(`vm: KVM stats not in the schema, not sent: ${[...new Set(unknown)].sort().join(", ")}`);
    }
    const threads = groupThreads(tasks, guest.pid, kvm.vcpuTids);
    const points = guestPoints(ctx, this.#memory, { guest, kvm, threads, tasks: tasks.length, nets: lv?.nets ?? [], ...(lv?.readNs === undefined ? {} : { netsReadNs: lv.readNs }) });
    // why: libvirt's domstats already give a libvirt guest's interfaces (vm_net); the taps' own counters are for the rest.
    if (lv !== undefined && lv.nets.length > 0) return points;
    s.taps ??= await findTaps(ctx, guest.pid, guest.argvTaps);
    const tapProblems: string[] = [];
    const net = await tapPoints(ctx, this.#memory, guest, s.taps, tapProblems);
    for (const p of tapProblems) this.#once(errors, p);
    return [...points, ...net];
  }
}

/** Adds the guest's exits since its last read; a KVM guest without counters, or seen for the first time, is a miss. */
function countExits(s: GuestState, kvm: KvmRead, tally: ExitTally): void {
  if (kvm.accel !== "kvm" || kvm.pace === "pending") return;
  const exits = kvm.vm?.counters["exits"];
  if (exits === undefined) {
    tally.missed = true;
    return;
  }
  tally.guests++;
  if (s.exits === undefined || exits < s.exits) tally.missed = true;
  else tally.increase += exits - s.exits;
  s.exits = exits;
}

/** `board`: where the exits it counts are left for the kvmexits sampler to compare (default: the agent's). */
export const vmSampler = (board: ExitBoard = EXIT_BOARD): Sampler => new VmSampler(board);
