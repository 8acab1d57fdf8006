// What an agent-shaped host sends, deterministically: the store's compaction tests and the store benchmark write it;
// and the bytes a SQLite file uses, which they and the fleet benchmark measure.
import { DatabaseSync } from "node:sqlite";
import type { FieldValue, Sample } from "@eastwest/common";
import { seeded } from "../fuzz/mutate.ts";

const S = 1_000_000_000n;
/** 2027-01-15, on a 5 min boundary (the store's compaction windows). */
export const T0 = 1_800_000_000n * S;

/** A deterministic generator (the fuzzer's mulberry32), so a host's data is the same in every run of one seed. */
export const rng = (seed: number): (() => number) => seeded(seed);

/**
 * What one host's agent sends each second, shaped like the agent's own points: per-CPU times (the ten /proc/stat
 * columns) as ns counters read in 10 ms ticks, with the shares they give (full-precision floats, as the agent computes
 * them); per-interface counters (the sixteen /proc/net/dev columns) with rates over the measured interval; a TCP row.
 */
export function hostSecond(host: string, sec: number, r: () => number, state: Map<string, bigint>): Sample[] {
  const t = T0 + BigInt(sec) * S + BigInt(Math.floor(r() * 2_000_000)); // the sampler's jitter: up to 2 ms
  const dtS = Number(t - (state.get(`${host}t`) ?? t - S)) / 1e9;
  state.set(`${host}t`, t);
  const grow = (key: string, by: bigint) => {
    const v = (state.get(key) ?? 1_000_000_000n) + by;
    state.set(key, v);
    return v;
  };
  const TICK = 10_000_000n;
  const out: Sample[] = [];
  const STAT = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"];
  for (let cpu = 0; cpu < 8; cpu++) {
    const total = 99 + Math.floor(r() * 3); // ticks in this second
    const ticks = STAT.map(() => 0);
    ticks[0] = Math.floor(total * (0.2 + r() * 0.1));
    ticks[2] = Math.floor(total * 0.05 + r() * 3);
    ticks[6] = r() < 0.3 ? 1 : 0;
    ticks[3] = total - (ticks[0] as number) - (ticks[2] as number) - (ticks[6] as number);
    const fields: Record<string, FieldValue> = {};
    STAT.forEach((name, i) => (fields[`${name}_ns_total`] = grow(`${host}${name}${cpu}`, BigInt(ticks[i] as number) * TICK)));
    STAT.forEach((name, i) => (fields[`${name}_pct`] = ((ticks[i] as number) / total) * 100));
    out.push({ measurement: "cpu", tags: { agent_id: host, cpu: `cpu${cpu}` }, timeNs: t, fields });
  }
  const DEV = ["bytes", "packets", "errs", "drop", "fifo", "frame", "compressed", "multicast"];
  for (const dev of ["eth0", "eth1", "tap0", "lo"]) {
    const fields: Record<string, FieldValue> = {};
    for (const dir of ["rx", "tx"]) {
      const packets = dev === "lo" ? 0 : 60 + Math.floor(r() * 20);
      const bytes = packets * (dev.startsWith("eth") ? 1400 : 90 + Math.floor(r() * 40));
      for (const name of DEV) fields[`${dir}_${name}_total`] = grow(`${host}${dir}${name}${dev}`, name === "bytes" ? BigInt(bytes) : name === "packets" ? BigInt(packets) : 0n);
      fields[`${dir}_bytes_per_s`] = bytes / dtS;
      fields[`${dir}_packets_per_s`] = packets / dtS;
    }
    fields["up"] = dev !== "lo";
    out.push({ measurement: "netdev", tags: { agent_id: host, interface: dev }, timeNs: t, fields });
  }
  out.push({ measurement: "tcp", tags: { agent_id: host }, timeNs: t, fields: { retrans_segs_total: grow(`${host}retr`, r() < 0.05 ? 1n : 0n), active_opens_total: grow(`${host}ao`, r() < 0.2 ? 1n : 0n), curr_estab: BigInt(12 + Math.floor(r() * 2)), state: "ok" } });
  return out;
}

/** Bytes in use in a SQLite file (page_count - freelist_count, times the page size); reads the WAL too. */
export function usedBytes(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const n = (sql: string) => Number(Object.values(db.prepare(sql).get() as object)[0]);
    return (n("PRAGMA page_count") - n("PRAGMA freelist_count")) * n("PRAGMA page_size");
  } finally {
    db.close();
  }
}
