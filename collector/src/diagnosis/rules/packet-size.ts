// GSO/GRO sizes: bytes per packet on the run's interface at each end (tx at the sender: the GSO/TSO size; rx at
// the receiver: the GRO size), against the model's 64 KiB packet. Far below it, every per-packet cost (syscall
// share, softirq, exits on a VM path) is paid many more times per byte.
import { cannotTell, cell, ev, finding } from "../finding.ts";
import { ends, num } from "../read.ts";
import { CONFIDENCE, type Rule } from "../types.ts";

/** A quarter of 64 KiB: per-packet work is then >= 4x the model's, the "far below" of the issue. */
const FAR_BELOW_BYTES = 16_384;
/** Half of 64 KiB: noticeably below full-size aggregation. */
const BELOW_BYTES = 32_768;

const head = { id: "packet-size", title: "GSO/GRO packet size (bytes per packet at each end)" };

export const packetSize: Rule = {
  ...head,
  signals: ["run_endpoint.netdev_bytes_per_packet (sender tx, receiver rx)"],
  thresholds: [
    { name: "far below 64 KiB", value: FAR_BELOW_BYTES, unit: "B per packet", source: "a quarter of the model's 64 KiB packet: >= 4x the per-packet work" },
    { name: "below 64 KiB", value: BELOW_BYTES, unit: "B per packet", source: "half of 64 KiB" },
  ],
  evaluate(input) {
    const { sender, receiver } = ends(input.record);
    const model = num(input.record.results?.model?.constants?.packet_bytes) ?? 65_536;
    const figs = [
      { role: "sender" as const, bpp: num(sender?.netdev?.bytes_per_packet), iface: sender?.netdev?.interface ?? null, dir: "tx (GSO/TSO size)" },
      { role: "receiver" as const, bpp: num(receiver?.netdev?.bytes_per_packet), iface: receiver?.netdev?.interface ?? null, dir: "rx (GRO size)" },
    ];
    const evidence = figs.map((f) => ev(`${f.role} bytes per packet${f.iface ? ` on ${f.iface}` : ""}`, f.bpp ?? null, "B", `run_endpoint.netdev_bytes_per_packet, ${f.dir}`, "run window"));
    const known = figs.filter((f): f is typeof f & { bpp: number } => f.bpp !== undefined && f.bpp > 0);
    if (known.length === 0) return cannotTell(head, "netdev bytes and packets", "no netdev counters of the run's interfaces in the window (see the run's warnings)", evidence);
    const low = known.sort((a, b) => a.bpp - b.bpp)[0] as (typeof known)[number];
    const key = { label: `${low.role} bytes/packet`, value: low.bpp, unit: "B" };
    const times = model / low.bpp;
    if (low.bpp < FAR_BELOW_BYTES) {
      return finding(head, {
        verdict: "contributing", confidence: CONFIDENCE.high, end: low.role, evidence, key,
        explanation: `the ${low.role} handles ${low.bpp.toFixed(0)} B packets, ${times.toFixed(0)}x the per-packet work of ${model} B: segmentation/aggregation is not in effect there`,
        next: cell("gso-gro-on", { gso: "on", tso: "on", gro: "on", tx_checksum: "on" }, "with GSO/TSO (and the checksum offload they need) and GRO on, packets should grow back toward 64 KiB"),
      });
    }
    const verdict = low.bpp < BELOW_BYTES ? "contributing" : "ruled out";
    return finding(head, {
      verdict, confidence: CONFIDENCE.medium, end: verdict === "ruled out" ? null : low.role, evidence, key,
      explanation: verdict === "ruled out" ? `packets stay large at both ends (smallest ${low.bpp.toFixed(0)} B at the ${low.role})` : `the ${low.role}'s packets average ${low.bpp.toFixed(0)} B, half of full-size aggregation or less`,
    });
  },
};
