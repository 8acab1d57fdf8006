// VM drill-down: one or more guests' KVM exits by counter (the exit reasons KVM counts)
// and per vCPU, the CPU time of their vCPU, vhost, IO and main threads, and the PMU of
// their QEMU process.
import { VM_THREAD_KINDS } from "@eastwest/common";
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { hostVariable, vmVariable } from "./controls.ts";
import { buildDashboard } from "./dashboard.ts";
import { select, type Col, type Match } from "./influxql.ts";
import { barchart, table, timeseries } from "./panels.ts";

const HOST: Match = { tag: "host", variable: "host" };
const VM: Match = { tag: "vm", variable: "vm" };

/** KVM's per-exit-reason counters (x86) as exits/s columns named by reason. */
const REASONS = ["io", "mmio", "halt", "irq", "irq_window", "nmi_window", "request_irq", "signal", "notify_window"];

function reasonCols(): Col[] {
  return REASONS.map((r) => ({ field: `${r}_exits_per_s`, agg: "mean", as: r }));
}

/** Thread kinds other than vCPUs, checked against the schema's list. */
function threadKinds(kinds: readonly string[]): string {
  for (const k of kinds) if (!(VM_THREAD_KINDS as readonly string[]).includes(k)) throw new Error(`grafana: vm_thread has no thread_kind "${k}"`);
  return `^(${kinds.join("|")})$`;
}

function inventory() {
  const cols: Col[] = ["pid", "vcpus", "threads"].map((field) => ({ field, agg: "last" }));
  return table("VMs", { text: select({ from: "vm_info", cols, where: [HOST, VM], by: ["host", "vm", "vm_uuid", "accel", "kvm_stats"] }) }, {
    h: 5,
    description: "kvm_stats says where the exit counters come from (qmp, debugfs) or that there are none (unavailable, e.g. under tcg).",
  });
}

function exits() {
  const counters: Col[] = [{ field: "exits_per_s", agg: "mean", as: "all_exits" }, ...reasonCols()];
  return [
    timeseries("Exits per second by counter", "cps", [{
      text: select({ from: "vm_kvm", cols: counters, where: [HOST, VM], byTime: true, by: ["vm"], fill: "null" }),
      alias: "$tag_vm $col",
    }], { description: "all_exits = every VM exit; the others are KVM's counters of exits by reason, summed over the VM's vCPUs." }),
    barchart("Exit reasons over the range (mean exits/s)", "cps", {
      text: select({ from: "vm_kvm", cols: reasonCols(), where: [HOST, VM], by: ["vm"] }),
    }, { xField: "vm", stack: true }),
    timeseries("Exits per second per vCPU", "cps", [{
      text: select({ from: "vcpu_kvm", cols: [{ field: "exits_per_s", agg: "mean" }, { field: "halt_exits_per_s", agg: "mean" }, { field: "io_exits_per_s", agg: "mean" }], where: [HOST, VM], byTime: true, by: ["vm", "vcpu"], fill: "null" }),
      alias: "$tag_vm vCPU $tag_vcpu $col",
    }]),
    timeseries("Emulation and interrupt injection per second", "cps", [{
      text: select({ from: "vm_kvm", cols: ["insn_emulation_per_s", "irq_injections_per_s", "hypercalls_per_s", "halt_wakeup_per_s"].map((field) => ({ field, agg: "mean" as const })), where: [HOST, VM], byTime: true, by: ["vm"], fill: "null" }),
      alias: "$tag_vm $col",
    }]),
  ];
}

function threads() {
  const cols: Col[] = [{ field: "run_pct", agg: "mean" }, { field: "wait_pct", agg: "mean" }];
  return [
    timeseries("vCPU threads: running and waiting for a CPU", "percent", [{
      text: select({ from: "vm_thread", cols, where: [HOST, VM, { tag: "thread_kind", eq: "vcpu" }], byTime: true, by: ["vm", "thread"], fill: "null" }),
      alias: "$tag_vm $tag_thread $col",
    }]),
    timeseries("vhost, IO and main threads: running and waiting", "percent", [{
      text: select({ from: "vm_thread", cols, where: [HOST, VM, { tag: "thread_kind", regex: threadKinds(["vhost", "io", "main"]) }], byTime: true, by: ["vm", "thread_kind", "thread"], fill: "null" }),
      alias: "$tag_vm $tag_thread $col",
    }], { description: "vhost workers (vhost-<pid>) do the guest's virtio-net data path in the host kernel." }),
  ];
}

function pmu() {
  return timeseries("QEMU process PMU: IPC and cache misses", "none", [
    { text: select({ from: "pmu", cols: [{ field: "ipc", agg: "mean" }], where: [{ tag: "scope", eq: "vm" }, HOST, VM], byTime: true, by: ["vm"], fill: "null" }), alias: "$tag_vm ipc" },
    { text: select({ from: "pmu", cols: [{ field: "cache_miss_pct", agg: "mean" }, { field: "running_pct", agg: "mean" }], where: [{ tag: "scope", eq: "vm" }, HOST, VM], byTime: true, by: ["vm"], fill: "null" }), alias: "$tag_vm $col" },
  ], { w: 24, overlays: [{ refId: "B", unit: "percent" }], description: "Empty where the host has no hardware PMU. running_pct < 100: counters were multiplexed (scaled estimates)." });
}

export function vmDashboard(): Dashboard {
  return buildDashboard({
    uid: "eastwest-vm",
    title: "eastwest / VM drill-down",
    description: "The chosen guests' KVM exits by counter and per vCPU, their vCPU and vhost threads, their QEMU processes' PMU.",
    variables: [hostVariable(), vmVariable()],
    panels: [inventory(), ...exits(), ...threads(), pmu()],
  });
}
