// Points of one guest: vm_info, vm_kvm, vcpu_kvm, vm_thread, vm_net (names in common/src/schema/vm.ts).
import type { FieldValue, Sample } from "@eastwest/common";
import type { SampleContext } from "../types.ts";
import { perSecond, type RateMemory } from "../shared/rates.ts";
import { point, pushPoint } from "../shared/points.ts";
import type { Guest } from "./vm.discover.ts";
import type { DomainNet } from "./vm.domstats.parse.ts";
import type { KvmRead } from "./vm.source.ts";
import type { KvmValues } from "./vm.stats.ts";
import type { ThreadGroup } from "./vm.threads.ts";

/** `<stat>_total` and gauges as they are; `<stat>_per_s` from the previous tick of the same series. */
function kvmFields(memory: RateMemory, series: string, nowNs: bigint, values: KvmValues): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  for (const [stat, v] of Object.entries(values.counters)) fields[`${stat}_total`] = v;
  for (const [stat, v] of Object.entries(values.gauges)) fields[stat] = v;
  const interval = memory.step(series, nowNs, values.counters);
  for (const stat of Object.keys(interval?.deltas ?? {})) {
    const perS = perSecond(interval, stat);
    if (perS !== undefined) fields[`${stat}_per_s`] = perS;
  }
  return fields;
}

/** Share of the interval, %, from a ns delta. */
function pct(deltaNs: bigint | undefined, dtNs: bigint): number | undefined {
  return deltaNs === undefined ? undefined : (Number(deltaNs) / Number(dtNs)) * 100;
}

function threadFields(memory: RateMemory, series: string, nowNs: bigint, g: ThreadGroup): Record<string, FieldValue> {
  const counters = { run_ns: g.sched.runNs, wait_ns: g.sched.waitNs, timeslices: g.sched.timeslices };
  const fields: Record<string, FieldValue> = {
    run_ns_total: counters.run_ns,
    wait_ns_total: counters.wait_ns,
    timeslices_total: counters.timeslices,
    threads: BigInt(g.threads),
  };
  const interval = memory.step(series, nowNs, counters);
  if (interval !== undefined) {
    const run = pct(interval.deltas["run_ns"], interval.dtNs);
    const wait = pct(interval.deltas["wait_ns"], interval.dtNs);
    if (run !== undefined) fields["run_pct"] = run;
    if (wait !== undefined) fields["wait_pct"] = wait;
  }
  return fields;
}

export interface GuestTick {
  guest: Guest;
  kvm: KvmRead;
  threads: ThreadGroup[];
  tasks: number;
  /** The guest's interfaces (libvirt guests). */
  nets: readonly DomainNet[];
  /** When `nets` were read (LibvirtGuest.readNs). */
  netsReadNs?: bigint;
}

/** `<counter>_total` and `<counter>_per_s` of one interface; one without a host device name is left out. */
function netFields(memory: RateMemory, series: string, nowNs: bigint, net: DomainNet): Record<string, FieldValue> {
  const counters = Object.fromEntries(Object.entries(net.counters).filter((e): e is [string, bigint] => e[1] !== undefined));
  const fields: Record<string, FieldValue> = {};
  for (const [k, v] of Object.entries(counters)) fields[`${k}_total`] = v;
  const interval = memory.step(series, nowNs, counters);
  for (const k of Object.keys(interval?.deltas ?? {})) {
    const perS = perSecond(interval, k);
    if (perS !== undefined) fields[`${k}_per_s`] = perS;
  }
  return fields;
}

/** vCPU count: QMP's, else named vCPU threads, else -smp. */
function vcpuCount(t: GuestTick): number {
  if (t.kvm.vcpus !== undefined && t.kvm.vcpus.length > 0) return t.kvm.vcpus.length;
  if (t.kvm.vcpuTids.size > 0) return t.kvm.vcpuTids.size;
  const named = t.threads.filter((g) => g.kind === "vcpu").length;
  return named > 0 ? named : (t.guest.smp ?? 0);
}

export function guestPoints(ctx: SampleContext, memory: RateMemory, t: GuestTick): Sample[] {
  const { guest, kvm } = t;
  const vmTags = { vm: guest.name, vm_uuid: guest.uuid };
  const key = `${guest.pid}`;
  const out: Sample[] = [];
  pushPoint(out, point(ctx, "vm_info", { ...vmTags, accel: kvm.accel, kvm_stats: kvm.kind }, { pid: BigInt(guest.pid), vcpus: BigInt(vcpuCount(t)), threads: BigInt(t.tasks) }));
  // why: rates are over the time between the counters' own reads (a QMP reply can come late in its tick, or in the next)
  const kvmAt = kvm.readNs ?? ctx.nowNs;
  if (kvm.vm !== undefined) pushPoint(out, point(ctx, "vm_kvm", vmTags, kvmFields(memory, `${key} vm`, kvmAt, kvm.vm)));
  for (const v of kvm.vcpus ?? []) {
    pushPoint(out, point(ctx, "vcpu_kvm", { ...vmTags, vcpu: String(v.index) }, kvmFields(memory, `${key} vcpu ${v.index}`, kvmAt, v.values)));
  }
  for (const n of t.nets) {
    if (n.name === "") continue;
    pushPoint(out, point(ctx, "vm_net", { ...vmTags, iface: n.name }, netFields(memory, `${key} net ${n.name}`, t.netsReadNs ?? ctx.nowNs, n)));
  }
  for (const g of t.threads) {
    // why: the share is over the time between the thread's own reads (Task.readNs), not between ticks
    const fields = threadFields(memory, `${key} thread ${g.kind} ${g.name}`, g.readNs ?? ctx.nowNs, g);
    pushPoint(out, point(ctx, "vm_thread", { ...vmTags, thread_kind: g.kind, thread: g.name }, fields));
  }
  return out;
}
