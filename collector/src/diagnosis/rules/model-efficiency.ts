// The model's ceiling against the measured rate: efficiency (measured / ceiling) and the share of the measured
// time per packet that no model term explains. Near the ceiling, the per-packet costs the model counts (copies,
// system calls, exits) set the limit — the study's conclusion at 61 %. Far below it, the model's terms explain
// little and the other findings say where the time goes.
import { cannotTell, ev, finding } from "../finding.ts";
import { num } from "../read.ts";
import { CONFIDENCE, type Rule } from "../types.ts";

/** Efficiency at which the model's own terms are the limit: the study measured 61 % and called it bound by copies and exits. */
const AT_CEILING = 0.6;

const head = { id: "model-efficiency", title: "the cost model's ceiling against the measured rate" };

export const modelEfficiency: Rule = {
  ...head,
  signals: ["record results.model.{efficiency, ceiling, breakdown.unexplained_fraction}"],
  thresholds: [{ name: "efficiency at the ceiling", value: AT_CEILING, unit: "fraction of the ceiling", source: "the study: 41 of 67.2 Gbit/s (61 %), explained by copies and VM exits" }],
  evaluate(input) {
    const m = input.record.results?.model;
    const eff = num(m?.efficiency);
    const ceil = num(m?.ceiling?.max_gbit_s);
    if (eff === undefined || ceil === undefined) return cannotTell(head, "model efficiency", m?.measured_gbit_s == null ? "no measured throughput" : "no finite model ceiling");
    const frac = num(m?.breakdown?.unexplained_fraction);
    const unexplained = frac === undefined ? undefined : frac * 100;
    const measured = num(m?.breakdown?.measured_per_packet_us);
    const model = num(m?.breakdown?.model_per_packet_us);
    const evidence = [
      ev("efficiency", eff * 100, "% of the ceiling", "record results.model.efficiency", "iperf3 test"),
      ev("ceiling", ceil, "Gbit/s", `model ${m?.model_version ?? "?"} ceiling.max_gbit_s`, "-"),
      ev("measured time per packet", measured ?? null, "us", "breakdown.measured_per_packet_us", "iperf3 test"),
      ev("model time per packet", model ?? null, "us", "breakdown.model_per_packet_us", "-"),
      ev("unexplained", unexplained ?? null, "% of measured", "breakdown.unexplained_fraction", "iperf3 test"),
    ];
    const key = { label: "efficiency", value: eff * 100, unit: "%" };
    const rest = unexplained === undefined ? "" : `; ${unexplained.toFixed(0)} % of the time per packet is unexplained by the model`;
    if (eff >= AT_CEILING) return finding(head, { verdict: "bottleneck", confidence: CONFIDENCE.medium, evidence, key, explanation: `the run reaches ${(eff * 100).toFixed(0)} % of the model's ${ceil.toFixed(1)} Gbit/s ceiling: copies, system calls and exits per packet set the limit${rest}` });
    return finding(head, { verdict: "ruled out", confidence: CONFIDENCE.medium, evidence, key, explanation: `the run reaches ${(eff * 100).toFixed(0)} % of the model's ${ceil.toFixed(1)} Gbit/s ceiling: something outside the model's terms limits it${rest}` });
  },
};
