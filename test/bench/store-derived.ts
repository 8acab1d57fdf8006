// (e) store, derived fields: the agent stores rates and shares (_per_s, _pct) next to the counters they come
// from; PCP and Prometheus store only the counters and compute rates at query time. Same data as (e), written and
// packed twice into fresh files: as the agent sends it, and without its derived fields. Reports their share of the
// values, what they cost on disk, and what computing a rate at query time costs next to reading a stored one.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FieldValue, Sample } from "@eastwest/common";
import { EmbeddedStore } from "../../collector/src/store/embedded/store.ts";
import { hostSecond, rng, T0, usedBytes } from "../helpers/host-points.ts";
import { fmt, medianMs as timed, type Row } from "./table.ts";

const S = 1_000_000_000n;
const NO_FLOOR = 2n ** 63n - 1n;
const DERIVED = /_(per_s|pct)$/;

function stripped(points: Sample[]): Sample[] {
  return points.map((p) => {
    const fields: Record<string, FieldValue> = {};
    for (const [k, v] of Object.entries(p.fields)) if (!DERIVED.test(k)) fields[k] = v;
    return { ...p, fields };
  });
}

interface Written {
  bytes: number;
  values: number;
  derived: number;
  /** Median ms: one counter over the range as per-second increases (a rate at query time). */
  rateMs: number;
  /** Median ms: the stored share over the range (what the agent's derived field gives directly). */
  storedMs: number;
}

async function writePacked(seconds: number, keepDerived: boolean): Promise<Written> {
  const dir = mkdtempSync(join(tmpdir(), "eastwest-bench-derived-"));
  const path = join(dir, "store.db");
  const store = new EmbeddedStore(path);
  await store.open();
  try {
    const r = rng(11);
    const state = new Map<string, bigint>();
    let values = 0;
    let derived = 0;
    for (let s0 = 0; s0 < seconds; s0 += 60) {
      const batches = Array.from({ length: Math.min(60, seconds - s0) }, (_, i) => {
        const all = hostSecond("bench", s0 + i, r, state);
        for (const p of all) for (const k in p.fields) (values++, DERIVED.test(k) && derived++);
        return { agentId: "bench", seq: BigInt(s0 + i + 1), receivedNs: T0, points: keepDerived ? all : stripped(all) };
      });
      for (const out of await store.writeBatches(batches)) if (out.kind !== "ok") throw new Error(`store refused a batch: ${out.kind}`);
    }
    const toNs = T0 + BigInt(seconds) * S;
    await store.compact(toNs, NO_FLOOR);
    const series = { measurement: "cpu", fromNs: T0, toNs, tags: { cpu: "cpu0" } };
    const rateMs = await timed(() => store.query({ ...series, fields: ["user_ns_total"], everyNs: S, aggregate: "increase" }));
    const storedMs = keepDerived ? await timed(() => store.query({ ...series, fields: ["user_pct"] })) : NaN;
    return { bytes: usedBytes(path), values, derived, rateMs, storedMs };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function derivedFieldRows(hours: number, log: (line: string) => void): Promise<Row[]> {
  const seconds = Math.round(hours * 3600);
  const withDerived = await writePacked(seconds, true);
  const without = await writePacked(seconds, false);
  const share = withDerived.derived / withDerived.values;
  const extra = withDerived.bytes - without.bytes;
  log(`(e) derived fields: ${fmt(withDerived.derived, 0)} of ${fmt(withDerived.values, 0)} values; ${fmt(withDerived.bytes, 0)} bytes with them, ${fmt(without.bytes, 0)} without`);
  const h = `${hours} h`;
  return [
    { bench: "(e) derived", metric: "share of values the agent derives (_per_s, _pct)", value: fmt(share, 3), reference: "", ratio: "", target: "-", result: "ok" },
    { bench: "(e) derived", metric: `packed bytes, ${h}: as sent vs without derived fields`, value: fmt(withDerived.bytes, 0), reference: fmt(without.bytes, 0), ratio: fmt(withDerived.bytes / without.bytes, 3), target: "-", result: "ok" },
    { bench: "(e) derived", metric: "bytes per derived value (the difference / derived values) vs per other value", value: fmt(extra / withDerived.derived, 2), reference: fmt(without.bytes / (withDerived.values - withDerived.derived), 2), ratio: fmt(extra / withDerived.derived / (without.bytes / (withDerived.values - withDerived.derived)), 2), target: "-", result: "ok" },
    { bench: "(e) derived", metric: `one share over ${h}: ms, rate at query time (1 s increases of the counter) vs stored`, value: fmt(withDerived.rateMs, 1), reference: fmt(withDerived.storedMs, 1), ratio: fmt(withDerived.rateMs / withDerived.storedMs, 2), target: "-", result: "ok" },
  ];
}
