// Sender or receiver CPU saturated: iperf3's own process CPU (a single stream is one thread: at ~100 % of one CPU
// it cannot go faster), the end's CPUs busy over the window (user / system / softirq split), and the busiest
// single CPU from the per-CPU samples. When both ends report the same host, their CPUs are one set (namespaces
// on one host): the figures then describe the host, and iperf3's own CPU tells the ends apart.
import type { EndpointResults } from "../../run/results.ts";
import { cannotTell, cell, ev, finding } from "../finding.ts";
import { byTag, ends, meanOf, num, windowText } from "../read.ts";
import { CONFIDENCE, type Evidence, type Rule, type RuleInput } from "../types.ts";

/** iperf3's process CPU, % of one CPU (iperf3 cpu_utilization_percent: user + system time / wall time). */
const IPERF3_SATURATED_PCT = 90;
/** Mean busy % of the end's CPUs (cpu=all) over the window: no idle left. */
const BUSY_SATURATED_PCT = 95;

const head = { id: "cpu-saturated", title: "sender or receiver CPU saturated" };

interface EndCpu {
  role: "sender" | "receiver";
  iperf3: number | undefined;
  busy: number | undefined;
  user: number | undefined;
  system: number | undefined;
  softirq: number | undefined;
  maxCpu: { cpu: string; busy: number } | undefined;
  evidence: Evidence[];
}

function endCpu(input: RuleInput, e: EndpointResults, role: "sender" | "receiver"): EndCpu {
  const r = input.record.results;
  const w = windowText(input.samples, input.record);
  const iperf3 = num(e.side === "server" ? r.iperf3?.server_cpu_pct : r.iperf3?.client_cpu_pct);
  const c = e.cpu ?? {};
  const per = byTag(input.samples?.[e.side]?.cpu, "cpu", (v) => v !== "all")
    .map((s) => ({ cpu: s.tags["cpu"] as string, busy: meanOf(s, "busy_pct", input.samples?.fromNs, input.samples?.toNs) }))
    .filter((x): x is { cpu: string; busy: number } => x.busy !== undefined)
    .sort((a, b) => b.busy - a.busy)[0];
  const out: EndCpu = { role, iperf3, busy: num(c.busy_pct), user: num(c.user_pct), system: num(c.system_pct), softirq: num(c.softirq_pct), maxCpu: per, evidence: [] };
  out.evidence.push(ev(`${role} iperf3 process CPU`, iperf3 ?? null, "% of one CPU", `record results.iperf3.${e.side}_cpu_pct`, "iperf3 test"));
  for (const k of ["busy", "user", "system", "softirq"] as const) out.evidence.push(ev(`${role} CPU ${k}`, out[k] ?? null, "%", `run_endpoint.${k}_pct (cpu=all)`, w));
  if (per) out.evidence.push(ev(`${role} busiest CPU (${per.cpu})`, per.busy, "%", "cpu.busy_pct per cpu", w));
  return out;
}

function split(c: EndCpu): string {
  const f = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(0));
  return `user ${f(c.user)} / system ${f(c.system)} / softirq ${f(c.softirq)} %`;
}

export const cpuSaturated: Rule = {
  ...head,
  signals: ["record results.iperf3.{server,client}_cpu_pct", "run_endpoint.{busy,user,system,softirq}_pct", "cpu.busy_pct per cpu"],
  thresholds: [
    { name: "iperf3 process CPU", value: IPERF3_SATURATED_PCT, unit: "% of one CPU", source: "single-stream iperf3 is one thread; 100 % of one CPU is its ceiling, 10 % margin for the window's edges" },
    { name: "CPUs busy (cpu=all)", value: BUSY_SATURATED_PCT, unit: "%", source: "mean over the window; < 5 % idle leaves no headroom for the data path" },
  ],
  evaluate(input) {
    const { sender, receiver } = ends(input.record);
    if (!sender || !receiver) return cannotTell(head, "endpoint CPU", "the record has no sender or receiver results");
    const both = [endCpu(input, sender, "sender"), endCpu(input, receiver, "receiver")];
    const evidence = both.flatMap((c) => c.evidence);
    if (both.every((c) => c.iperf3 === undefined && c.busy === undefined)) return cannotTell(head, "cpu and iperf3 process CPU", "no cpu samples in the window and iperf3 reported no CPU", evidence);
    const shared = sender.host !== "" && sender.host === receiver.host;
    const own = both.filter((c) => (c.iperf3 ?? 0) >= IPERF3_SATURATED_PCT).sort((a, b) => (b.iperf3 ?? 0) - (a.iperf3 ?? 0))[0];
    if (own) {
      return finding(head, {
        verdict: "bottleneck", confidence: CONFIDENCE.high, end: own.role, evidence, key: { label: `${own.role} iperf3 CPU`, value: own.iperf3 ?? null, unit: "%" },
        explanation: `the ${own.role}'s iperf3 uses ${(own.iperf3 ?? 0).toFixed(0)} % of a CPU (${split(own)}): a single stream cannot go faster than that thread`,
        next: cell("streams-2", { streams: 2 }, "a second stream puts a second thread on the data path; throughput rises if one thread's CPU was the limit"),
      });
    }
    const busy = both.filter((c) => (c.busy ?? 0) >= BUSY_SATURATED_PCT).sort((a, b) => (b.busy ?? 0) - (a.busy ?? 0))[0];
    if (busy) {
      const got = both.filter((c) => c.iperf3 !== undefined).map((c) => `${(c.iperf3 ?? 0).toFixed(0)} % (${c.role})`);
      const iperf = got.length === 0 ? "" : `; iperf3 gets only ${got.join(" / ")} of a CPU`;
      const where = shared ? `the host's CPUs (both ends share them) are ${(busy.busy ?? 0).toFixed(0)} % busy` : `the ${busy.role}'s CPUs are ${(busy.busy ?? 0).toFixed(0)} % busy`;
      const starved = both.filter((c) => c.iperf3 !== undefined).sort((a, b) => (a.iperf3 ?? 0) - (b.iperf3 ?? 0))[0];
      const end = shared && starved ? starved.role : busy.role;
      return finding(head, {
        verdict: "bottleneck", confidence: CONFIDENCE.medium, end, evidence, key: { label: `${shared ? "host" : busy.role} CPU busy`, value: busy.busy ?? null, unit: "%" },
        explanation: `${where} (${split(busy)})${iperf}: the data path waits for CPU${shared && starved ? `, the ${starved.role} most` : ""}`,
        next: cell("baseline-idle-host", {}, "repeat on an idle host (stop the competing load) to see the path's own limit"),
      });
    }
    const top = both.map((c) => c.iperf3 ?? c.busy ?? 0).reduce((a, b) => Math.max(a, b), 0);
    return finding(head, {
      verdict: "ruled out", confidence: CONFIDENCE.medium, end: null, evidence, key: { label: "highest iperf3 / busy CPU", value: top, unit: "%" },
      explanation: `neither end's iperf3 reaches ${IPERF3_SATURATED_PCT} % of a CPU and no end's CPUs are ${BUSY_SATURATED_PCT} % busy`,
    });
  },
};
