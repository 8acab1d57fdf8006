// Loads a real influxd with what a collector stored: every point of every schema measurement in an
// embedded store, written again through the collector's own InfluxDB store (v1 /write path).
import { allMeasurements, type FieldValue, type Sample } from "@eastwest/common";
import type { Store } from "../../../collector/src/store/types.ts";

const INT64_MAX = (1n << 63n) - 1n;

/** Every stored point, as Samples (null columns dropped). */
export async function storedSamples(store: Store): Promise<Sample[]> {
  const out: Sample[] = [];
  for (const m of allMeasurements().keys()) {
    for (const s of await store.query({ measurement: m, fromNs: 0n, toNs: INT64_MAX })) {
      for (const row of s.values) {
        const fields: Record<string, FieldValue> = {};
        s.columns.forEach((c, i) => {
          const v = row[i];
          if (i > 0 && v !== null && v !== undefined) fields[c] = v as FieldValue;
        });
        out.push({ measurement: m, tags: s.tags, fields, timeNs: row[0] as bigint });
      }
    }
  }
  return out;
}

/** Writes the samples through the collector's InfluxStore (api v1) as batches of one writer; throws on any outcome but ok. */
export async function loadThroughCollectorStore(url: string, db: string, samples: readonly Sample[], ledgerPath: string): Promise<void> {
  const { storeConfigSchema, storeDefaults } = await import("../../../collector/src/store/config.ts");
  const { createStore } = await import("../../../collector/src/store/index.ts");
  const defaults = storeDefaults() as { influx: Record<string, unknown> };
  const cfg = storeConfigSchema.parse({ ...defaults, kind: "influx", path: ledgerPath, influx: { ...defaults.influx, api: "v1", url, db } });
  const store = createStore(cfg);
  await store.open();
  try {
    const per = 500;
    let seq = 0n;
    for (let i = 0; i < samples.length; i += per) {
      seq += 1n;
      const [out] = await store.writeBatches([{ agentId: "grafana-load", seq, points: samples.slice(i, i + per), receivedNs: 0n }]);
      if (out?.kind !== "ok") throw new Error(`collector InfluxDB store: ${JSON.stringify(out)}`);
    }
  } finally {
    await store.close();
  }
}
