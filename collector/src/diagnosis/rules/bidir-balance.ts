// Unbalanced bidirectional throughput: in an iperf3 --bidir run, the two directions' receiver rates. A fair path
// gives both about the same; the study saw BBR unbalanced between directions.
import { cannotTell, cell, ev, finding } from "../finding.ts";
import { num } from "../read.ts";
import { CONFIDENCE, type Rule } from "../types.ts";

/** The slower direction below this fraction of the faster: unbalanced (campaign verdict.ts uses the same 0.8 for unbalanced cells). */
const BALANCED_RATIO = 0.8;

const head = { id: "bidir-balance", title: "unbalanced bidirectional throughput" };

export const bidirBalance: Rule = {
  ...head,
  signals: ["record results.iperf3.{receiver_bits_per_s, bidir_reverse_bits_per_s}"],
  thresholds: [{ name: "balanced ratio", value: BALANCED_RATIO, unit: "slower / faster", source: "20 % apart is beyond run-to-run noise of a single stream here" }],
  evaluate(input) {
    const ip = input.record.results?.iperf3;
    const fwd = num(ip?.receiver_bits_per_s);
    const rev = num(ip?.bidir_reverse_bits_per_s);
    if (ip?.bidir !== true || rev === undefined) {
      const f = cannotTell(head, "second direction", "the run was one-way (not iperf3 --bidir)");
      return { ...f, next: cell("bidir", { direction: "bidir" }, "both directions at once show whether the path treats them alike") };
    }
    if (fwd === undefined || Math.max(fwd, rev) <= 0) return cannotTell(head, "throughput", "iperf3 reported no rate in either direction");
    const ratio = Math.min(fwd, rev) / Math.max(fwd, rev);
    const evidence = [
      ev("client -> server", fwd / 1e9, "Gbit/s", "iperf3 end.sum_received", "iperf3 test"),
      ev("server -> client", rev / 1e9, "Gbit/s", "iperf3 end.sum_received_bidir_reverse", "iperf3 test"),
    ];
    const key = { label: "slower / faster", value: ratio * 100, unit: "%" };
    const slow = fwd < rev ? "client -> server" : "server -> client";
    if (ratio < BALANCED_RATIO) return finding(head, { verdict: "contributing", confidence: CONFIDENCE.medium, end: "both", evidence, key, explanation: `${slow} gets ${(ratio * 100).toFixed(0)} % of the other direction's rate`, next: cell("congestion-cubic", { congestion: "cubic", direction: "bidir" }, "a loss-based congestion control shares more evenly; if the gap closes, the congestion control made it") });
    return finding(head, { verdict: "ruled out", confidence: CONFIDENCE.high, end: "both", evidence, key, explanation: `the directions are within ${((1 - ratio) * 100).toFixed(0)} % of each other` });
  },
};
