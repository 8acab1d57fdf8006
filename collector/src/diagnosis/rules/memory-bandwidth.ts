// Memory bandwidth near the copy bandwidth: the host's memory traffic over the run (membw: uncore IMC or resctrl
// counters) per second against the model's copy bandwidth (calibrated on the host, else the study's 52 GB/s).
// Copies are the model's largest term; when the memory system is near its copy rate, copies set the ceiling.
import { cannotTell, ev, finding } from "../finding.ts";
import { num } from "../read.ts";
import { CONFIDENCE, type Rule } from "../types.ts";

/** Fraction of the copy bandwidth in use that makes memory the limit; a copy reads and writes, so 0.8 is near. */
const NEAR = 0.8;
const HALF = 0.5;

const head = { id: "memory-bandwidth", title: "memory bandwidth near the copy bandwidth" };

export const memoryBandwidth: Rule = {
  ...head,
  signals: ["membw.read_bytes + write_bytes (record hostSide.membw)", "model constants.copy_bytes_per_s"],
  thresholds: [
    { name: "near the copy bandwidth", value: NEAR, unit: "fraction", source: "within 20 % of the calibrated copy rate, the memory system has no headroom" },
    { name: "half the copy bandwidth", value: HALF, unit: "fraction", source: "a large share of the memory system" },
  ],
  evaluate(input) {
    const h = input.record.hostSide;
    const mb = h?.membw;
    const bytes = num(mb?.bytes);
    const seconds = num(input.record.results?.window_s);
    if (!mb || bytes === undefined || bytes <= 0) {
      const note = (h?.notes ?? []).find((n) => n.startsWith("membw:")) ?? (h?.notes ?? []).find((n) => n.startsWith("no host agent"));
      return cannotTell(head, "membw", note?.replace(/^membw: /, "") ?? "no memory-bandwidth counter on the run's hosts");
    }
    const copy = num(input.record.results?.model?.constants?.copy_bytes_per_s);
    if (!seconds || seconds <= 0 || !copy) return cannotTell(head, "copy bandwidth or window", "the record has no window length or copy bandwidth");
    const rate = bytes / seconds;
    const frac = rate / copy;
    const evidence = [
      ev("memory traffic", rate / 1e9, "GB/s", `membw (${mb.source}) read + write bytes / window`, `run window (${seconds.toFixed(1)} s)`),
      ev("copy bandwidth", copy / 1e9, "GB/s", "model constants.copy_bytes_per_s", "-"),
      ev("bytes moved per payload byte", num(mb.perPayloadByte) ?? null, "B/B", "record hostSide.membw.perPayloadByte", "run window"),
    ];
    const key = { label: "memory traffic / copy bandwidth", value: frac * 100, unit: "%" };
    const text = `memory traffic ${(rate / 1e9).toFixed(1)} GB/s is ${(frac * 100).toFixed(0)} % of the ${(copy / 1e9).toFixed(1)} GB/s copy bandwidth`;
    if (frac >= NEAR) return finding(head, { verdict: "bottleneck", confidence: CONFIDENCE.medium, evidence, key, explanation: `${text}: copies are bound by memory` });
    if (frac >= HALF) return finding(head, { verdict: "contributing", confidence: CONFIDENCE.medium, evidence, key, explanation: text });
    return finding(head, { verdict: "ruled out", confidence: CONFIDENCE.medium, evidence, key, explanation: `${text}: memory has headroom` });
  },
};
