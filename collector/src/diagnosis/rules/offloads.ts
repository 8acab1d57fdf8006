// Checksum or segmentation offload off at either end (netstate, ethtool -k of the run's interface). Tx checksum
// off makes the sender checksum every byte in software — a second pass over the payload, about one more copy per
// packet — and turns TSO/GSO off with it (they need checksum offload), so the stack handles MTU-sized packets:
// the study's 41 -> 7 Gbit/s. GSO/GRO off matter only when packets really shrink (bytes per packet: gso-gro-size).
// tx-nocache-copy on copies user data around the cache the receiver would read it from (the study's 41 -> 34).
import { cannotTell, cell, ev, finding } from "../finding.ts";
import { ifaceState, type IfaceState } from "../netstate.ts";
import { endTerms, MIN_PROFILE_SAMPLES } from "../profile.ts";
import { ends, num } from "../read.ts";
import { CONFIDENCE, type DiagnosedRun, type Evidence, type Rule } from "../types.ts";

/** Bytes per packet below which segmentation offload is not in effect (a quarter of 64 KiB; as gso-gro-size). */
const SMALL_PACKET_BYTES = 16_384;

const head = { id: "offloads", title: "checksum or segmentation offload off" };

/** Is this agent a guest the run's host side shows under TCG? */
function tcgGuest(run: DiagnosedRun, agentId: string | undefined): boolean {
  const vms = Array.isArray(run.hostSide?.vms) ? run.hostSide.vms : [];
  return agentId !== undefined && vms.some((v) => v.accel === "tcg" && Array.isArray(v.guest_agents) && v.guest_agents.includes(agentId));
}

interface Off {
  end: "sender" | "receiver";
  feature: string;
  severity: 2 | 1 | 0;
  text: string;
}

/** The profile's checksum term at an end: % of its iperf3 CPU and us per packet. */
type Csum = { pct: number; us: number | undefined } | undefined;

function offs(role: "sender" | "receiver", st: IfaceState, bpp: number | undefined, copyUs: number | undefined, senderSmall: boolean, csum: Csum, tcg: boolean): Off[] {
  const f = st.features;
  const out: Off[] = [];
  const small = bpp !== undefined && bpp < SMALL_PACKET_BYTES;
  const model = copyUs === undefined ? "about one more copy" : `about one more copy, ${copyUs.toFixed(2)} us per 64 KiB at the model's copy bandwidth`;
  const copy = csum === undefined ? model : `${model}; measured: checksum ${csum.pct.toFixed(0)} % of the ${role}'s iperf3 CPU${csum.us === undefined ? "" : `, ${csum.us.toFixed(2)} us per packet`}`;
  if (role === "sender" && f["tx_checksumming"] === false) out.push({ end: role, feature: "tx-checksumming", severity: 2, text: `tx checksum offload off at the sender: a software checksum pass over each packet (${copy}) and no TSO/GSO` });
  if (role === "receiver" && f["rx_checksumming"] === false) out.push({ end: role, feature: "rx-checksumming", severity: 2, text: `rx checksum offload off at the receiver: the stack verifies every byte in software (${copy})` });
  if (role === "sender" && f["tcp_segmentation_offload"] === false && f["generic_segmentation_offload"] === false) out.push({ end: role, feature: "tso+gso", severity: small ? 1 : 0, text: `TSO and GSO off at the sender${small ? `: ${bpp?.toFixed(0)} B per packet` : ", but packets stay large"}` });
  else if (role === "sender" && f["generic_segmentation_offload"] === false) out.push({ end: role, feature: "gso", severity: small ? 1 : 0, text: `GSO off at the sender${small ? "" : " (TSO still sends large packets)"}` });
  if (role === "receiver" && f["generic_receive_offload"] === false) {
    const why = !small ? ", but packets arrive large (the sender's GSO/TSO packets cross unsplit)" : senderSmall ? " (the sender's packets are already small: GRO is not what shrank them)" : `: ${bpp?.toFixed(0)} B per packet`;
    out.push({ end: role, feature: "gro", severity: small && !senderSmall ? 1 : 0, text: `GRO off at the receiver${why}` });
  }
  // why: TCG emulates no cache, so a copy around it costs nothing more (recorded: the sender's copies went from 164 to
  // 18 us per packet with it, test/fixtures/diagnosis/tcg): naming it would send the user after the wrong cause.
  if (role === "sender" && f["tx_nocache_copy"] === true) {
    out.push(tcg
      ? { end: role, feature: "tx-nocache-copy", severity: 0, text: "tx-nocache-copy on at the sender, a TCG guest: no cache is emulated, so copying around it costs nothing more" }
      : { end: role, feature: "tx-nocache-copy", severity: 1, text: "tx-nocache-copy on at the sender: user data is copied around the cache the receiver would read it from" });
  }
  return out;
}

export const offloads: Rule = {
  ...head,
  signals: ["netstate.{tx,rx}_checksumming, tcp_segmentation_offload, generic_segmentation_offload, generic_receive_offload, tx_nocache_copy (run's interfaces)", "run_endpoint.netdev_bytes_per_packet"],
  thresholds: [{ name: "small packets", value: SMALL_PACKET_BYTES, unit: "B per packet", source: "a quarter of a 64 KiB TSO/GRO packet: below it per-packet costs grow at least 4x" }],
  evaluate(input) {
    const { sender, receiver, senderSide, receiverSide } = ends(input.record);
    if (!sender || !receiver) return cannotTell(head, "endpoints", "the record has no sender or receiver results");
    const copyBps = num(input.record.results.model?.constants?.copy_bytes_per_s);
    const packet = num(input.record.results.model?.constants?.packet_bytes);
    const copyUs = copyBps && packet ? (packet / copyBps) * 1e6 : undefined;
    // why: a newest row without offload fields (ethtool -k did not answer in that tick) says nothing about them; an
    // older row may predate a change made just before the run, so neither may stand for "on".
    const withFeatures = (st: IfaceState | undefined) => (st && Object.keys(st.features).length > 0 ? st : undefined);
    const sides = [
      { role: "sender" as const, e: sender, raw: ifaceState(input.samples, senderSide, sender.netdev?.interface) },
      { role: "receiver" as const, e: receiver, raw: ifaceState(input.samples, receiverSide, receiver.netdev?.interface) },
    ].map((x) => ({ ...x, st: withFeatures(x.raw) }));
    const missing = sides.filter((s) => !s.st);
    const whyMissing = (s: (typeof sides)[number]) => (s.raw ? `${s.role} ${s.raw.iface}: its newest netstate row up to the window's end has no offload fields (ethtool -k did not answer)` : `no netstate row for ${s.role} ${s.e.netdev?.interface ?? "(no interface)"} up to the window's end`);
    if (missing.length === 2) {
      const why = !input.samples ? "no samples were given to the diagnosis (the record alone)" : (input.samples.missing ?? sides.map(whyMissing).join("; "));
      return cannotTell(head, "netstate (offloads)", why);
    }
    const evidence: Evidence[] = [];
    const found: Off[] = [];
    const profiled = endTerms(input.record);
    const csumOf = (role: string): Csum => {
      const e = profiled?.find((t) => t.role === role && t.samples >= MIN_PROFILE_SAMPLES && t.pct.checksum !== undefined);
      return e ? { pct: e.pct.checksum ?? 0, us: e.us.checksum } : undefined;
    };
    for (const s of sides) {
      if (!s.st) continue;
      const feats = Object.entries(s.st.features).filter(([k]) => /checksumming|segmentation_offload|receive_offload|nocache/.test(k));
      evidence.push(ev(`${s.role} ${s.st.iface} offloads`, feats.map(([k, v]) => `${k} ${v ? "on" : "off"}`).join(", "), "", "netstate (ethtool -k)", `snapshot at or before the window's end`));
      evidence.push(ev(`${s.role} bytes per packet`, num(s.e.netdev?.bytes_per_packet) ?? null, "B", `run_endpoint.netdev_bytes_per_packet (${s.e.netdev?.direction ?? "?"})`, "run window"));
      const senderBpp = num(sender.netdev?.bytes_per_packet);
      const csum = csumOf(s.role);
      if (csum) evidence.push(ev(`${s.role} checksum share of iperf3's CPU`, csum.pct, `% (${csum.us?.toFixed(2) ?? "?"} us per packet)`, "profile.ends[].term_samples.checksum", "traffic window"));
      const own = offs(s.role, s.st, num(s.e.netdev?.bytes_per_packet), copyUs, senderBpp !== undefined && senderBpp < SMALL_PACKET_BYTES, csum, tcgGuest(input.record, s.e.agent_id));
      found.push(...own);
    }
    const worst = found.sort((a, b) => b.severity - a.severity)[0];
    const note = missing.length === 1 ? ` (${whyMissing(missing[0]!)})` : "";
    if (!worst || worst.severity === 0) {
      const harmless = found.map((o) => o.text).join("; ");
      return finding(head, { verdict: "ruled out", confidence: missing.length === 0 ? CONFIDENCE.high : CONFIDENCE.medium, evidence, explanation: (harmless || "checksum and segmentation offloads on at both ends") + note });
    }
    const all = found.filter((o) => o.severity > 0).map((o) => o.text).join("; ");
    // the key is the measured checksum term of the end whose checksum offload is off (the worst finding's)
    const measuredKey = worst.feature.endsWith("checksumming") ? csumOf(worst.end)?.us : undefined;
    const fix = worst.feature === "tx-checksumming" ? { tx_checksum: "on" as const } : worst.feature === "tx-nocache-copy" ? { tx_nocache_copy: "off" as const } : worst.feature === "gro" ? { gro: "on" as const } : { gso: "on" as const, tso: "on" as const };
    return finding(head, {
      verdict: worst.severity === 2 ? "bottleneck" : "contributing", confidence: worst.severity === 2 ? CONFIDENCE.high : CONFIDENCE.medium, end: worst.end, evidence,
      key: { label: `${worst.end} ${worst.feature}`, value: worst.severity === 2 ? (measuredKey ?? copyUs ?? null) : null, unit: worst.severity === 2 ? (measuredKey !== undefined ? "us per packet measured" : "us added per packet") : "" },
      explanation: all + note,
      next: cell(`${worst.feature}-restored`, fix, "the same run with the setting restored: the difference is what it costs", worst.end === "sender" ? senderSide : receiverSide),
    });
  },
};
