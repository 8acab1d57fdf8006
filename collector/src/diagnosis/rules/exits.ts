// VM exits per packet against the model's count (4 per 64 KiB packet in the study: at least one for a TCP ACK),
// their share of the measured time per packet, and which exit reasons dominate (perf kvm stat's kvm:kvm_exit).
import { cannotTell, cell, ev, finding } from "../finding.ts";
import { num } from "../read.ts";
import { CONFIDENCE, type Rule } from "../types.ts";

/** Observed exits over the model's count: more than 1.5x is beyond what batching noise explains. */
const OVER_MODEL = 1.5;
/** The exit term's share of the measured time per packet that makes exits the limit. */
const BOTTLENECK_SHARE = 0.5;

const head = { id: "exits", title: "VM exits per packet" };

export const exits: Rule = {
  ...head,
  signals: ["record results.model.observed.exits_per_packet (vm_kvm exits_total)", "record hostSide.exitReasons (kvm:kvm_exit)"],
  thresholds: [
    { name: "exits over the model's count", value: OVER_MODEL, unit: "x constants.exits", source: "the study's 4 exits per 64 KiB packet; 1.5x leaves room for ACK batching differences" },
    { name: "exit time share", value: BOTTLENECK_SHARE, unit: "of measured time per packet", source: "half the time per packet spent in exits is the largest term" },
  ],
  evaluate(input) {
    const m = input.record.results?.model;
    const per = num(m?.observed?.exits_per_packet);
    if (per === undefined) return cannotTell(head, "VM exit counts", String(m?.observed?.exit_source ?? m?.derivations?.["exits_per_packet"] ?? "no exit counter over the run window"));
    const model = num(m?.constants?.exits) ?? 4;
    const exitUs = num(m?.constants?.exit_us) ?? 0.5;
    const measured = num(m?.breakdown?.measured_per_packet_us);
    const share = measured && measured > 0 ? (per * exitUs) / measured : undefined;
    const reasons = (input.record.hostSide?.exitReasons ?? []).slice(0, 3);
    const evidence = [
      ev("exits per packet", per, "per 64 KiB packet", `record results.model.observed (${m?.observed?.exit_source ?? "?"})`, "run window"),
      ev("model's exits per packet", model, "", "model constants.exits", "-"),
      ev("exit time share of measured per packet", share === undefined ? null : share * 100, "%", "exits x constants.exit_us / breakdown.measured_per_packet_us", "run window"),
      ...reasons.map((r) => ev(`exit reason ${r.reason}`, num(r.perPacket) ?? num(r.count) ?? null, num(r.perPacket) !== undefined ? "per packet" : "exits", `kvm:kvm_exit on ${r.agentId}`, "run window")),
    ];
    const top = reasons.length > 0 ? `; most: ${reasons.map((r) => r.reason).join(", ")}` : "; exit reasons unavailable (see the host notes)";
    const key = { label: "exits per packet", value: per, unit: "" };
    if (share !== undefined && share >= BOTTLENECK_SHARE) {
      return finding(head, { verdict: "bottleneck", confidence: CONFIDENCE.medium, evidence, key, explanation: `${per.toFixed(1)} exits per packet take ${(share * 100).toFixed(0)} % of the time per packet${top}`, next: cell("length-1MiB", { length_bytes: 1_048_576 }, "larger writes batch more per exit; fewer exits per packet would raise the rate") });
    }
    if (per > model * OVER_MODEL) return finding(head, { verdict: "contributing", confidence: CONFIDENCE.medium, evidence, key, explanation: `${per.toFixed(1)} exits per packet, over the model's ${model}${top}` });
    return finding(head, { verdict: "ruled out", confidence: CONFIDENCE.medium, evidence, key, explanation: `${per.toFixed(1)} exits per packet, within the model's ${model}${top}` });
  },
};
