// The run report's section on measured terms: per end, microseconds of CPU per packet per term (perf cpu-clock
// samples of its iperf3 process), its CPU time per packet and the share the terms explain. Pure.
import { fmtInt, fmtPct, fmtUs, renderTable } from "../model/format.ts";
import type { EndProfile, MachineProfile, Term } from "./profile.ts";

const ROWS: readonly Term[] = ["copies", "checksum", "syscalls", "softirq", "stack", "scheduler", "vhost_qemu", "other"];

const us = (x: number | null | undefined): string => (typeof x === "number" && Number.isFinite(x) ? `${fmtUs(x)} us` : "-");

/** Lines of the section; none when the run has no profile (older records). */
export function profileLines(p: { ends: readonly EndProfile[]; machines: readonly MachineProfile[] } | null | undefined): string[] {
  if (p === null || p === undefined || !Array.isArray(p.ends)) return [];
  const measured = p.ends.filter((e) => e.status === "measured");
  const out = ["", "measured per-packet terms (perf cpu-clock, samples of each end's iperf3 process):"];
  for (const e of p.ends.filter((x) => x.status !== "measured")) out.push(`  ${e.role} ${e.agent_id}: ${e.status}`);
  if (measured.length === 0) return [...out, "  the breakdown keeps the model's counts"];
  const head = ["term", ...measured.map((e) => `${e.role} (${e.agent_id})`)];
  const rows = ROWS.filter((t) => measured.some((e) => e.us_per_packet[t] !== undefined)).map((t) => [t, ...measured.map((e) => us(e.us_per_packet[t]))]);
  const table = renderTable([
    head,
    ...rows,
    ["CPU per packet", ...measured.map((e) => us(e.cpu_us_per_packet))],
    ["explained", ...measured.map((e) => (e.explained_fraction === null ? "-" : fmtPct(e.explained_fraction)))],
    ["samples", ...measured.map((e) => `${fmtInt(e.samples ?? 0)} of ${fmtInt(e.total_cpu_samples ?? 0)}`)],
  ]);
  out.push(...table.map((l) => `  ${l}`));
  const e0 = measured[0] as EndProfile;
  const overhead = e0.perf_overhead_pct === null ? "" : `, perf itself ${e0.perf_overhead_pct.toFixed(2)} % of the busy CPU`;
  out.push(`  ${e0.frequency_hz} Hz, ${fmtUs((e0.period_ns ?? 0) / 1000)} us per sample${overhead}; "other": user-space code and kernel paths no term names`);
  for (const m of p.machines.filter((x) => x.status !== "measured")) out.push(`  machine ${m.agent_id}: ${m.status}`);
  return out;
}
