// VM drill-down: one or more guests' KVM exits by counter (the exit reasons KVM counts) and per vCPU, the CPU
// time of their vCPU, vhost, IO and main threads, and the PMU of their QEMU process.
import { VM_THREAD_KINDS } from "@eastwest/common";
import { hostVariable, toProm, vmVariable } from "./controls.ts";
import { row, type DashboardSpec } from "./dashboard.ts";
import { select, type Col, type Match } from "./influxql.ts";
import { barchart, table, timeseries } from "./panels.ts";
import { by, maxOf, sel, sumRate } from "./promql.ts";

const HOST: Match = { tag: "host", variable: "host" };
const VM: Match = { tag: "vm", variable: "vm" };
const HV = toProm([HOST, VM]);

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
  const fields = ["pid", "vcpus", "threads"];
  const labels = ["host", "vm", "vm_uuid", "accel", "kvm_stats"];
  return table("VMs", "none", {
    influx: [{ text: select({ from: "vm_info", cols: fields.map((field) => ({ field, agg: "last" as const })), where: [HOST, VM], by: labels }) }],
    prom: fields.map((f) => ({ expr: maxOf("vm_info", f, labels, HV), legend: f, instant: true })),
  }, { h: 5, description: "kvm_stats says where the exit counters come from (qmp, debugfs) or that there are none (unavailable, e.g. under tcg)." });
}

function exits() {
  const emul = ["insn_emulation", "irq_injections", "hypercalls", "halt_wakeup"];
  return [
    row("VM exits"),
    timeseries("Exits per second by counter", "cps", {
      influx: [{ text: select({ from: "vm_kvm", cols: [{ field: "exits_per_s", agg: "mean", as: "all_exits" }, ...reasonCols()], where: [HOST, VM], byTime: true, by: ["vm"], fill: "null" }), alias: "$tag_vm $col" }],
      prom: [{ expr: sumRate("vm_kvm", "exits_total", ["vm"], HV), legend: "{{vm}} all_exits" }, ...REASONS.map((r) => ({ expr: sumRate("vm_kvm", `${r}_exits_total`, ["vm"], HV), legend: `{{vm}} ${r}` }))],
    }, { description: "all_exits = every VM exit; the others are KVM's counters of exits by reason, summed over the VM's vCPUs." }),
    barchart("Exit reasons over the range (mean exits/s)", "cps", {
      influx: [{ text: select({ from: "vm_kvm", cols: reasonCols(), where: [HOST, VM], by: ["vm"] }) }],
      prom: REASONS.map((r) => ({ expr: `${by("sum", "vm_kvm", ["vm"], `increase(${sel("vm_kvm", `${r}_exits_total`, HV)}[$__range])`)} / $__range_s`, legend: r, instant: true })),
    }, { xField: "vm", stack: true, description: "Each reason's share of the exits over the whole range, per VM: io and mmio exits are device emulation (virtio kicks), halt the guest idling, irq_window interrupt delivery." }),
    timeseries("Exits per second per vCPU", "cps", {
      influx: [{ text: select({ from: "vcpu_kvm", cols: [{ field: "exits_per_s", agg: "mean" }, { field: "halt_exits_per_s", agg: "mean" }, { field: "io_exits_per_s", agg: "mean" }], where: [HOST, VM], byTime: true, by: ["vm", "vcpu"], fill: "null" }), alias: "$tag_vm vCPU $tag_vcpu $col" }],
      prom: ["exits", "halt_exits", "io_exits"].map((f) => ({ expr: sumRate("vcpu_kvm", `${f}_total`, ["vm", "vcpu"], HV), legend: `{{vm}} vCPU {{vcpu}} ${f}_per_s` })),
    }, { description: "One vCPU exiting far more than the others usually takes the guest's interrupts (virtio-net queue affinity)." }),
    timeseries("Emulation and interrupt injection per second", "cps", {
      influx: [{ text: select({ from: "vm_kvm", cols: emul.map((f) => ({ field: `${f}_per_s`, agg: "mean" as const })), where: [HOST, VM], byTime: true, by: ["vm"], fill: "null" }), alias: "$tag_vm $col" }],
      prom: emul.map((f) => ({ expr: sumRate("vm_kvm", `${f}_total`, ["vm"], HV), legend: `{{vm}} ${f}_per_s` })),
    }, { description: "Instructions KVM emulated, interrupts injected, hypercalls and halt wake-ups per second, summed over the VM's vCPUs." }),
  ];
}

function threads() {
  const cols: Col[] = [{ field: "run_pct", agg: "mean" }, { field: "wait_pct", agg: "mean" }];
  const pct = (where: Match[], labels: string[]) => ["run", "wait"].map((s) => ({ expr: sumRate("vm_thread", `${s}_ns_total`, labels, toProm(where), 100), legend: `${labels.map((l) => `{{${l}}}`).join(" ")} ${s}_pct` }));
  const other: Match = { tag: "thread_kind", regex: threadKinds(["vhost", "io", "main"]) };
  return [
    row("QEMU threads and PMU"),
    timeseries("vCPU threads: running and waiting for a CPU", "percent", {
      influx: [{ text: select({ from: "vm_thread", cols, where: [HOST, VM, { tag: "thread_kind", eq: "vcpu" }], byTime: true, by: ["vm", "thread"], fill: "null" }), alias: "$tag_vm $tag_thread $col" }],
      prom: pct([HOST, VM, { tag: "thread_kind", eq: "vcpu" }], ["vm", "thread"]),
    }, { description: "% of one CPU each vCPU thread ran (schedstat) and waited runnable for a CPU; waiting vCPUs mean an overcommitted host." }),
    timeseries("vhost, IO and main threads: running and waiting", "percent", {
      influx: [{ text: select({ from: "vm_thread", cols, where: [HOST, VM, other], byTime: true, by: ["vm", "thread_kind", "thread"], fill: "null" }), alias: "$tag_vm $tag_thread $col" }],
      prom: pct([HOST, VM, other], ["vm", "thread"]),
    }, { description: "vhost workers (vhost-<pid>) do the guest's virtio-net data path in the host kernel." }),
  ];
}

function pmu() {
  const where = toProm([{ tag: "scope", eq: "vm" }, HOST, VM]);
  return timeseries("QEMU process PMU: IPC and cache misses", "none", {
    influx: [
      { text: select({ from: "pmu", cols: [{ field: "ipc", agg: "mean" }], where: [{ tag: "scope", eq: "vm" }, HOST, VM], byTime: true, by: ["vm"], fill: "null" }), alias: "$tag_vm ipc" },
      { text: select({ from: "pmu", cols: [{ field: "cache_miss_pct", agg: "mean" }, { field: "running_pct", agg: "mean" }], where: [{ tag: "scope", eq: "vm" }, HOST, VM], byTime: true, by: ["vm"], fill: "null" }), alias: "$tag_vm $col" },
    ],
    prom: [
      { expr: maxOf("pmu", "ipc", ["vm"], where), legend: "{{vm}} ipc" },
      { expr: maxOf("pmu", "cache_miss_pct", ["vm"], where, 100), legend: "{{vm}} cache_miss_pct" },
      { expr: maxOf("pmu", "running_pct", ["vm"], where, 100), legend: "{{vm}} running_pct" },
    ],
  }, { w: 24, overlays: [{ refId: "B", unit: "percent" }], description: "Empty where the host has no hardware PMU. running_pct < 100: counters were multiplexed (scaled estimates)." });
}

export function vmDashboard(): DashboardSpec {
  return {
    uid: "eastwest-vm",
    title: "eastwest / VM drill-down",
    description: "The chosen guests' KVM exits by counter and per vCPU, their vCPU and vhost threads, their QEMU processes' PMU.",
    variables: [hostVariable(), vmVariable()],
    panels: [row("Guests"), inventory(), ...exits(), ...threads(), pmu()],
    agentData: true,
  };
}
