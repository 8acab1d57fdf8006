// Measurements of the agent's vm sampler (agent/src/samplers/vm): QEMU guests on a KVM host, their KVM exit counters
// (QMP query-stats or debugfs) and the CPU time of their threads. The KVM stat names are the kernel's
// (Documentation/virt/kvm/api.rst, "KVM_GET_STATS_FD"; arch/x86/kvm/x86.c, arch/arm64/kvm/guest.c, virt/kvm/kvm_main.c).
import type { FieldType, MeasurementDef } from "./types.ts";

const BASE = ["agent_id", "host", "netns"] as const;

/** Cumulative per-vCPU KVM stats: field `<stat>_total` (uint) and `<stat>_per_s` (float). */
export const KVM_VCPU_COUNTERS = [
  // x86
  "exits", "io_exits", "mmio_exits", "irq_exits", "halt_exits", "irq_window_exits", "nmi_window_exits",
  "request_irq_exits", "signal_exits", "notify_window_exits", "l1d_flush", "host_state_reload", "fpu_reload",
  "insn_emulation", "insn_emulation_fail", "hypercalls", "irq_injections", "nmi_injections", "req_event",
  "nested_run", "directed_yield_attempted", "directed_yield_successful", "preemption_reported", "preemption_other",
  "pf_taken", "pf_fixed", "pf_emulate", "pf_spurious", "pf_fast", "pf_mmio_spte_created", "pf_guest", "tlb_flush", "invlpg",
  // generic (halt polling; *_ns in nanoseconds)
  "halt_successful_poll", "halt_attempted_poll", "halt_poll_invalid", "halt_wakeup",
  "halt_poll_success_ns", "halt_poll_fail_ns", "halt_wait_ns",
  // arm64
  "hvc_exit_stat", "wfe_exit_stat", "wfi_exit_stat", "mmio_exit_user", "mmio_exit_kernel",
] as const;

/** Cumulative per-VM KVM stats (x86 MMU and generic TLB flushes): `<stat>_total` and `<stat>_per_s`. */
export const KVM_VM_COUNTERS = [
  "remote_tlb_flush", "remote_tlb_flush_requests", "mmu_shadow_zapped", "mmu_pte_write", "mmu_pde_zapped",
  "mmu_flooded", "mmu_recycled", "mmu_cache_miss",
] as const;

/** Instant or peak per-VM KVM stats: field `<stat>` (uint). */
export const KVM_VM_GAUGES = ["mmu_unsync", "pages_4k", "pages_2m", "pages_1g", "nx_lpage_splits", "max_mmu_page_hash_collisions", "max_mmu_rmap_size"] as const;

/** Counters of a guest's network interface in vm_net, as the guest sees them: `<name>_total` (uint) and `<name>_per_s` (float). */
export const VM_NET_COUNTERS = ["rx_bytes", "tx_bytes", "rx_packets", "tx_packets", "rx_drops", "tx_drops"] as const;

/** The thread kinds of vm_thread. */
export const VM_THREAD_KINDS = ["vcpu", "io", "main", "vhost", "other"] as const;

function typed(type: FieldType, names: readonly string[]): Record<string, FieldType> {
  return Object.fromEntries(names.map((n) => [n, type]));
}

function counters(names: readonly string[]): Record<string, FieldType> {
  return { ...typed("uint", names.map((n) => `${n}_total`)), ...typed("float", names.map((n) => `${n}_per_s`)) };
}

export const VM_MEASUREMENTS: Record<string, MeasurementDef> = {
  vm_info: {
    doc: "One QEMU guest found on the host: pid, vCPUs, threads; accel (kvm, tcg) and where its KVM counters come from (kvm_stats: libvirt — virsh domstats for a libvirt-owned guest, qmp, debugfs, unavailable — the sampler reports the reason once).",
    tags: [...BASE, "vm", "vm_uuid", "accel", "kvm_stats"],
    fields: typed("uint", ["pid", "vcpus", "threads"]),
  },
  vm_kvm: {
    doc: "KVM counters of one guest: per-vCPU stats summed over its vCPUs (exits_total is every VM exit) plus VM-wide MMU stats, from libvirt's domstats, QMP query-stats (QEMU >= 7.1, Linux >= 5.14) or debugfs; *_per_s over the interval.",
    tags: [...BASE, "vm", "vm_uuid"],
    fields: { ...counters(KVM_VCPU_COUNTERS), ...counters(KVM_VM_COUNTERS), ...typed("uint", KVM_VM_GAUGES) },
  },
  vcpu_kvm: {
    doc: "KVM counters of one vCPU (vcpu = QEMU cpu-index) from QMP query-stats or libvirt's domstats; *_per_s over the interval.",
    tags: [...BASE, "vm", "vm_uuid", "vcpu"],
    fields: counters(KVM_VCPU_COUNTERS),
  },
  kvm_exit_sources: {
    doc: "The host agent's check of its two VM-exit sources over a window of about 10 s: the kvm:kvm_exit tracepoint (kvmexits sampler, perf, host-wide) against the guests' own counters (vm sampler: QMP query-stats or debugfs, summed over vms guests). Sent only when every KVM guest had counters over the window. tracepoint_working is false when the tracepoint counted 0 while the guests counted >= 10 exits/s; agree is false beyond 10 % (diff_pct, of the larger rate).",
    tags: [...BASE],
    fields: {
      ...typed("float", ["tracepoint_exits_per_s", "vm_exits_per_s", "diff_pct"]),
      ...typed("bool", ["tracepoint_working", "agree"]),
      ...typed("uint", ["vms", "window_ns"]),
    },
  },
  vm_thread: {
    doc: "CPU time of a guest's threads from /proc/<pid>/task/*/schedstat: per vCPU (\"CPU n/KVM\"), IO thread, main thread, vhost worker (\"vhost-<pid>\"); thread_kind=other sums the rest (threads = how many). run_pct / wait_pct: % of the interval on a CPU / runnable but waiting.",
    tags: [...BASE, "vm", "vm_uuid", "thread_kind", "thread"],
    fields: {
      ...typed("uint", ["run_ns_total", "wait_ns_total", "timeslices_total", "threads"]),
      ...typed("float", ["run_pct", "wait_pct"]),
    },
  },
  vm_net: {
    doc: "Counters of one guest network interface (iface = its host device: tap, vnetN) as the guest sees them: rx is what the guest received, tx what it sent. From libvirt's domstats for libvirt-owned guests, else from the tap's /sys/class/net/<iface>/statistics with rx and tx swapped (the host's view); the tap is found through the QEMU process's /dev/net/tun descriptors (fdinfo iff:) or its -netdev tap,ifname=. *_per_s over the interval.",
    tags: [...BASE, "vm", "vm_uuid", "iface"],
    fields: counters(VM_NET_COUNTERS),
  },
};
