// Alert rules for continuous monitoring, one definition for both query languages: each rule is a few queries (one
// series per host/agent or VM each, reduced to one number) and a condition over them as a Grafana math expression
// ($A, $B, ...), so both languages share the thresholds and only the query text differs. Thresholds are those of
// the diagnosis rules (collector/src/diagnosis/rules/*) where one exists. Alert queries have no dashboard
// variables: PromQL reads every scrape job; windows are fixed (5 min), InfluxQL's through each query's
// relativeTimeRange ($timeFilter).
import { rollup, select, type Select } from "./influxql.ts";
import { label, metric } from "./promql.ts";

export interface AlertQuery {
  refId: string;
  /** Window: from fromS seconds ago to toS seconds ago (InfluxQL's $timeFilter; PromQL rules use their own ranges). */
  fromS: number;
  toS?: number;
  influx: string;
  prom: string;
  /** How the query's points are reduced to one number per series (PromQL queries are instant: one point). */
  reducer: "last" | "mean" | "max";
}

export interface AlertDef {
  /** Stable id: the rule uid is eastwest-<id> (InfluxQL) or eastwest-<id>-prom. */
  id: string;
  title: string;
  /** Math expression over the reduced queries ($A ...): the rule fires where it is non-zero. */
  condition: string;
  queries: AlertQuery[];
  /** How long the condition must hold. */
  for: string;
  summary: string;
  description: string;
  /** The diagnosis rule it watches continuously. */
  diagnosisRule: string;
}

const W = "5m";
const FIVE_MIN = 300;
const rate = (m: string, field: string, labels: readonly string[], match = "") => `sum by (${labels.map((l) => label(m, l)).join(", ")}) (rate(${metric(m, field)}${match}[${W}]))`;
const AGENT = ["host", "agent_id"];

/** NET_RX share of one CPU that counts as concentrated (diagnosis rule softirq-concentrated). */
export const NET_RX_SHARE = 0.9;
/** NET_RX/s below which a host is idle enough not to matter. */
export const NET_RX_MIN_PER_S = 1000;
/** Retransmitted % of sent segments (diagnosis rule retransmits: its bottleneck share, 1 %). */
export const RETRANS_PCT = 1;
/** Segments sent per second below which the share is noise. */
export const OUT_SEGS_MIN_PER_S = 100;
/** Exits/s over this multiple of the VM's previous day (and over EXITS_MIN_PER_S) is a jump. */
export const EXITS_JUMP = 2;
export const EXITS_MIN_PER_S = 1000;
/** % of one CPU at which a thread is saturated (diagnosis rule vm-thread). */
export const THREAD_SATURATED_PCT = 95;
/** % of the time a data-path thread waits for a CPU (diagnosis rule cpu-contention: its bottleneck share). */
export const THREAD_WAIT_PCT = 25;

/** The per-CPU mean of a field over the window, per agent and CPU (the inner query of a rollup over CPUs). */
const perCpu = (from: string, field: string): Select => ({ from, cols: [{ field, agg: "mean" }], by: [...AGENT, "cpu"] });

function softnetDrops(): AlertDef {
  const inner = perCpu("softnet", "dropped_per_s");
  return {
    id: "softnet-drops",
    title: "Softnet backlog drops",
    condition: "$A > 0",
    queries: [{ refId: "A", fromS: FIVE_MIN, influx: rollup(inner, { agg: "sum", by: AGENT }), prom: rate("softnet", "dropped_total", AGENT), reducer: "last" }],
    for: "5m",
    summary: "{{ $labels.agent_id }} drops packets at the per-CPU backlog",
    description: "/proc/net/softnet_stat dropped: the per-CPU input backlog (net.core.netdev_max_backlog) was full; every drop is a lost packet. Watch time_squeeze too (NAPI ran out of budget).",
    diagnosisRule: "softnet-drops",
  };
}

function netRxOneCpu(): AlertDef {
  const inner = perCpu("softirqs", "net_rx_per_s");
  const p = (agg: "max" | "sum" | "count") => `${agg} by (${AGENT.join(", ")}) (${rate("softirqs", "net_rx_total", [...AGENT, "cpu"])})`;
  return {
    id: "net-rx-one-cpu",
    title: "NET_RX softirqs concentrated on one CPU",
    condition: `$A / $B > ${NET_RX_SHARE} && $B > ${NET_RX_MIN_PER_S} && $C > 1`,
    queries: [
      { refId: "A", fromS: FIVE_MIN, influx: rollup(inner, { agg: "max", by: AGENT }), prom: p("max"), reducer: "last" },
      { refId: "B", fromS: FIVE_MIN, influx: rollup(inner, { agg: "sum", by: AGENT }), prom: p("sum"), reducer: "last" },
      { refId: "C", fromS: FIVE_MIN, influx: rollup(inner, { agg: "count", by: AGENT }), prom: p("count"), reducer: "last" },
    ],
    for: "10m",
    summary: "{{ $labels.agent_id }}: one CPU handles most NET_RX softirqs",
    description: `One CPU runs over ${NET_RX_SHARE * 100} % of the NET_RX softirqs of a host with more than one CPU (at over ${NET_RX_MIN_PER_S}/s): RSS/RPS spread nothing (one queue, or one flow); that CPU limits receive.`,
    diagnosisRule: "softirq-concentrated",
  };
}

function retransmits(): AlertDef {
  const mean = (field: string) => select({ from: "tcp", cols: [{ field, agg: "mean" }], by: AGENT });
  return {
    id: "tcp-retransmits",
    title: "TCP retransmit rate",
    condition: `$B > ${OUT_SEGS_MIN_PER_S} && 100 * $A / $B > ${RETRANS_PCT}`,
    queries: [
      { refId: "A", fromS: FIVE_MIN, influx: mean("retrans_segs_per_s"), prom: rate("tcp", "retrans_segs_total", AGENT), reducer: "last" },
      { refId: "B", fromS: FIVE_MIN, influx: mean("out_segs_per_s"), prom: rate("tcp", "out_segs_total", AGENT), reducer: "last" },
    ],
    for: "5m",
    summary: "{{ $labels.agent_id }} retransmits over 1 % of the segments it sends",
    description: `TCP RetransSegs over ${RETRANS_PCT} % of OutSegs (at over ${OUT_SEGS_MIN_PER_S} segments/s): loss on the path or in a queue; by Mathis et al., 1 % loss caps a flow far below a 10G path.`,
    diagnosisRule: "retransmits",
  };
}

function exitsJump(): AlertDef {
  const VM = ["host", "vm"];
  const mean = select({ from: "vm_kvm", cols: [{ field: "exits_per_s", agg: "mean" }], by: VM });
  const day = 86_400;
  return {
    id: "vm-exits-jump",
    title: "VM exits per second over the VM's baseline",
    condition: `$A > ${EXITS_JUMP} * $B && $A > ${EXITS_MIN_PER_S}`,
    queries: [
      { refId: "A", fromS: FIVE_MIN, influx: mean, prom: rate("vm_kvm", "exits_total", VM), reducer: "last" },
      { refId: "B", fromS: day + FIVE_MIN, toS: FIVE_MIN, influx: mean, prom: rate("vm_kvm", "exits_total", VM).replace(`[${W}])`, `[1d] offset ${W})`), reducer: "last" },
    ],
    for: "10m",
    summary: "{{ $labels.vm }} on {{ $labels.host }} exits to the host over twice as often as over the day before",
    description: `KVM exits/s of a VM over the last 5 min above ${EXITS_JUMP}x its mean over the 24 h before (and above ${EXITS_MIN_PER_S}/s): a new exit source (device emulation, interrupt storm, halt polling); the VM drill-down shows the reasons.`,
    diagnosisRule: "exits",
  };
}

/** A share of one CPU per VM thread of `kinds` over 5 min, from vm_thread's `<share>_pct` (InfluxQL) or `<share>_ns_total` (PromQL), above `pct`. */
function threadShare(o: { id: string; title: string; share: "run" | "wait"; kinds: string[]; pct: number; for: string; summary: string; description: string; diagnosisRule: string }): AlertDef {
  const labels = ["host", "vm", "thread_kind", "thread"];
  const kinds = o.kinds.join("|");
  return {
    id: o.id,
    title: o.title,
    condition: `$A > ${o.pct}`,
    queries: [{
      refId: "A",
      fromS: FIVE_MIN,
      influx: select({ from: "vm_thread", cols: [{ field: `${o.share}_pct`, agg: "mean" }], where: [{ tag: "thread_kind", regex: `^(${kinds})$` }], by: labels }),
      prom: `100 * ${rate("vm_thread", `${o.share}_ns_total`, labels, `{${label("vm_thread", "thread_kind")}=~"${kinds}"}`)}`,
      reducer: "last",
    }],
    for: o.for,
    summary: o.summary,
    description: o.description,
    diagnosisRule: o.diagnosisRule,
  };
}

const threadSaturated = (): AlertDef =>
  threadShare({
    id: "vm-io-thread-saturated", title: "vhost or QEMU IO thread saturated", share: "run", kinds: ["vhost", "io"], pct: THREAD_SATURATED_PCT, for: "5m",
    summary: "{{ $labels.vm }}: {{ $labels.thread_kind }} thread {{ $labels.thread }} runs over 95 % of a CPU",
    description: `A vhost or QEMU IO thread ran over ${THREAD_SATURATED_PCT} % of one CPU (schedstat): a thread cannot use more than one CPU, so it sets the VM's I/O ceiling.`,
    diagnosisRule: "vm-thread",
  });

const threadWaiting = (): AlertDef =>
  threadShare({
    id: "vm-thread-waiting", title: "VM thread waiting for a CPU", share: "wait", kinds: ["vcpu", "vhost", "io"], pct: THREAD_WAIT_PCT, for: "10m",
    summary: "{{ $labels.vm }}: {{ $labels.thread_kind }} thread {{ $labels.thread }} waits for a CPU over 25 % of the time",
    description: `A vCPU, vhost or QEMU IO thread was runnable but waiting for a CPU over ${THREAD_WAIT_PCT} % of the time (schedstat run_delay): other work on the host's CPUs holds the guest or its I/O back.`,
    diagnosisRule: "cpu-contention",
  });

/** The continuous-monitoring rules, in file order. */
export const ALERTS: ReadonlyArray<() => AlertDef> = [softnetDrops, netRxOneCpu, retransmits, exitsJump, threadSaturated, threadWaiting];
