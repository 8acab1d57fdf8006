// Where each end's CPU goes, measured: the run's profile (perf record -e cpu-clock) split by term for each end's
// iperf3 process. With checksum offload on, the stack checksums nothing in software on veth, virtio-net or a tap
// (the checksum is left to the device or skipped), so csum_partial and friends are at or near 0 %; a software
// checksum is a second pass over every byte, costing about as much as a copy. So a checksum share of the end's
// CPU well above 0 names a cost the cost model does not count, measured rather than assumed. The key figure is the
// larger checksum share of the two ends, kept also when ruled out, so a campaign cell shows it move ("0.1 % -> 38 %").
import { cannotTell, cell, ev, finding } from "../finding.ts";
import { TERMS } from "../../run/profile.ts";
import { endTerms, MIN_PROFILE_SAMPLES as MIN_SAMPLES, termsText, type EndTerms } from "../profile.ts";
import { ends } from "../read.ts";
import { CONFIDENCE, type Evidence, type Rule } from "../types.ts";

/**
 * Checksum share of an end's CPU that counts. Recorded here (test/fixtures/diagnosis/profiled): 0 % at both ends with
 * offload on, 7.1 % at the sender and 6.4 % at the receiver with tx checksum off at the sender (the receiver then
 * verifies in software too). 3 % sits between them with room for noise (one sample of ~600 is 0.17 %).
 */
const CHECKSUM_PCT = 3;

const head = { id: "cpu-terms", title: "where each end's CPU goes (measured profile)" };
const KEY = "checksum share of iperf3's CPU";

export const cpuTerms: Rule = {
  ...head,
  signals: ["record results.profile.ends[].term_samples, samples, us_per_packet (collectProfile: perf record -e cpu-clock)"],
  thresholds: [
    { name: "software checksum", value: CHECKSUM_PCT, unit: "% of the end's iperf3 CPU samples", source: "recorded namespace runs: 0 % with checksum offload on, 6.4-7.1 % at either end with tx checksum off at the sender" },
    { name: "samples", value: MIN_SAMPLES, unit: "per end", source: "below 100 samples one sample is over 1 % of the end" },
  ],
  evaluate(input) {
    const all = endTerms(input.record);
    if (!all) return cannotTell(head, "CPU profile", "the record has no profile (the run did not ask for one, or predates it)");
    // sender first, as every other rule cites the ends
    const measured = all.filter((e) => e.samples >= MIN_SAMPLES).sort((a, b) => (a.role === b.role ? 0 : a.role === "sender" ? -1 : 1));
    if (measured.length === 0) {
      const why = all.length === 0 ? "the profile has no end" : all.map((e) => `${e.role}: ${e.samples > 0 ? `${e.samples} samples (< ${MIN_SAMPLES})` : e.status}`).join("; ");
      return cannotTell(head, "CPU profile", why);
    }
    const evidence: Evidence[] = measured.flatMap((e) => [
      ev(`${e.role} iperf3 samples`, e.samples, "", "profile.ends[].samples", "traffic window"),
      ...TERMS.filter((t) => e.pct[t] !== undefined).map((t) => ev(`${e.role} ${t}`, e.pct[t] ?? 0, `% (${(e.us[t] ?? 0).toFixed(2)} us per packet)`, "profile.ends[].term_samples / samples", "traffic window")),
    ]);
    const text = measured.map((e) => `${e.role}: ${termsText(e)}`).join("; ");
    const missing = all.filter((e) => !measured.includes(e)).map((e) => ` (${e.role} not measured: ${e.samples > 0 ? `${e.samples} samples` : e.status})`).join("");
    const top = [...measured].sort((a, b) => (b.pct.checksum ?? 0) - (a.pct.checksum ?? 0))[0] as EndTerms;
    const share = top.pct.checksum ?? 0;
    const key = { label: KEY, value: share, unit: "%" };
    if (share >= CHECKSUM_PCT) {
      return finding(head, {
        verdict: "contributing", confidence: share >= 2 * CHECKSUM_PCT ? CONFIDENCE.high : CONFIDENCE.medium, end: top.role, evidence, key,
        explanation: `software checksum takes ${share.toFixed(0)} % of the ${top.role}'s iperf3 CPU (${(top.us.checksum ?? 0).toFixed(2)} us per packet), a cost the model does not count; ${text}${missing}`,
        // why: the receiver verifies in software when the sender's tx checksum is off, so the fix is at the sender.
        next: cell("tx-checksum-on", { tx_checksum: "on" }, "checksum offload on at the sender: the checksum share at both ends should go to ~0", ends(input.record).senderSide),
      });
    }
    const copies = measured.map((e) => `${e.role} ${(e.pct.copies ?? 0).toFixed(0)} %`).join(", ");
    return finding(head, {
      verdict: "ruled out", confidence: measured.length === 2 ? CONFIDENCE.high : CONFIDENCE.medium, evidence, key,
      explanation: `no software checksum to speak of (at most ${share.toFixed(1)} %); copies take ${copies} of iperf3's CPU; ${text}${missing}`,
    });
  },
};
