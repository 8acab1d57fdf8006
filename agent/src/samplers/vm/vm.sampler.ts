// vm: QEMU guests on this host — KVM exit counters per guest and per vCPU (libvirt's domstats for libvirt-owned
// guests, else QMP query-stats, else debugfs), libvirt guests' interface counters, and the CPU time of their vCPU, IO,
// main and vhost threads (/proc/<pid>/task/*/schedstat).
import { ConfigError, type Sample } from "@eastwest/common";
import type { SampleContext, Sampler, SamplerFactory } from "../types.ts";
import { RateMemory } from "../shared/rates.ts";
import { intOption, unknownKeys } from "../shared/options.ts";
import { mapLimit } from "../shared/sources.ts";
import { discoverGuests, type Guest } from "./vm.discover.ts";
import { DomstatsReader, LIBVIRT_URI, libvirtGuest, type LibvirtGuest } from "./vm.domstats.ts";
import { LIBVIRT_DIR } from "./vm.libvirt.ts";
import { guestPoints } from "./vm.points.ts";
import { readTasks, scanProc } from "./vm.proc.ts";
import { KvmSource, type KvmRead } from "./vm.source.ts";
import { groupThreads } from "./vm.threads.ts";

interface VmOptions {
  maxVms: number;
  libvirtDir: string;
  libvirtUri: string;
  rediscoverMs: number;
}

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/\S*$/;

/** Options: `maxVms` (32), `libvirtDir` (libvirt's system directory), `libvirtUri` (qemu:///system), `rediscoverMs` (10 s). */
function options(ctx: SampleContext): VmOptions {
  const maxVms = intOption(ctx.options, "maxVms", 32, 1, 1024);
  const rediscoverMs = intOption(ctx.options, "rediscoverMs", 10_000, 1000, 3_600_000);
  const dir = ctx.options["libvirtDir"] ?? LIBVIRT_DIR;
  const uri = ctx.options["libvirtUri"] ?? LIBVIRT_URI;
  const problems = [...unknownKeys(ctx.options, ["maxVms", "libvirtDir", "libvirtUri", "rediscoverMs"]), ...maxVms.problems, ...rediscoverMs.problems];
  if (typeof dir !== "string" || dir === "") problems.push(`libvirtDir: expected a non-empty path, got ${JSON.stringify(dir)}`);
  if (typeof uri !== "string" || !URI.test(uri)) problems.push(`libvirtUri: expected a libvirt URI like qemu:///system, got ${JSON.stringify(uri)}`);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `vm: ${p}`));
  return { maxVms: maxVms.value, libvirtDir: dir as string, libvirtUri: uri as string, rediscoverMs: rediscoverMs.value };
}

interface GuestState {
  guest: Guest;
  source: KvmSource;
  /** tid -> comm, read once per thread. */
  comms: Map<number, string>;
  /** The last problem reported for this guest (reported again only when it changes). */
  reported: string | undefined;
}

/** The guest's problem in operator terms, or undefined when its counters flow from the source it prefers. */
function problem(name: string, kvm: KvmRead): string | undefined {
  if (kvm.kind === "unavailable") return `vm ${name}: unavailable: ${kvm.reason ?? "?"}`;
  if (kvm.kind === "debugfs") return `vm ${name}: counters from debugfs (${kvm.reason ?? "?"})`;
  if (kvm.kind === "qmp" && kvm.reason !== undefined) return `vm ${name}: counters from QMP (${kvm.reason})`;
  return undefined;
}

/** QMP's or debugfs' read of a libvirt guest, with why libvirt did not answer first. */
function afterLibvirt(kvm: KvmRead, why: string | undefined): KvmRead {
  if (why === undefined) return kvm;
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

  async init(ctx: SampleContext): Promise<{ available: true }> {
    options(ctx);
    // No QEMU (or no /dev/kvm) is no data, not unavailability: guests may start later.
    return { available: true };
  }

  async sample(ctx: SampleContext): Promise<{ points: Sample[]; errors: string[] }> {
    const opts = options(ctx);
    const errors: string[] = [];
    const due = this.#discoveredAtNs === undefined || ctx.nowNs - this.#discoveredAtNs >= BigInt(opts.rediscoverMs) * 1_000_000n;
    if (due) await this.#discover(ctx, opts, errors);
    const states = [...this.#guests.values()];
    const libvirt = await this.#libvirt(ctx, opts.libvirtUri, states, errors);
    const perGuest = await mapLimit(states, 8, (s) => this.#sampleGuest(ctx, s, errors, libvirt.get(s.guest.pid)));
    this.#memory.sweep();
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
    if (dropped > 0) this.#once(errors, `vm: ${guests.length + dropped} QEMU guests, following the first ${guests.length} by name (maxVms)`);
    const next = new Map<number, GuestState>();
    for (const guest of guests) {
      const old = this.#guests.get(guest.pid);
      if (old !== undefined && old.guest.qmpSocket === guest.qmpSocket) next.set(guest.pid, { ...old, guest });
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

  async #sampleGuest(ctx: SampleContext, s: GuestState, errors: string[], lv: LibvirtGuest | undefined): Promise<Sample[]> {
    const { guest } = s;
    let tasks;
    try {
      tasks = await readTasks(ctx, guest.pid, guest.vhost, s.comms);
    } catch {
      // The guest exited: forget it and look again next tick.
      s.source.close();
      this.#guests.delete(guest.pid);
      this.#discoveredAtNs = undefined;
      return [];
    }
    const kvm = lv?.kvm ?? afterLibvirt(await s.source.read(ctx), lv?.reason);
    const said = problem(guest.name, kvm);
    if (said !== undefined && said !== s.reported) errors.push(said);
    s.reported = said;
    const unknown = [...(kvm.vm?.unknown ?? []), ...(kvm.vcpus ?? []).flatMap((v) => v.values.unknown)].filter((u) => !this.#said.has(u));
    if (unknown.length > 0) {
      for (const stat of unknown) this.#said.add(stat);
      errors.push(`vm: KVM stats not in the schema, not sent: ${[...new Set(unknown)].sort().join(", ")}`);
    }
    const threads = groupThreads(tasks, guest.pid, kvm.vcpuTids);
    return guestPoints(ctx, this.#memory, { guest, kvm, threads, tasks: tasks.length, nets: lv?.nets ?? [] });
  }
}

export const vmSampler: SamplerFactory = (): Sampler => new VmSampler();
