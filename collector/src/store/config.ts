// The collector's store section: which point store (store.kind, one of the
// registry's kinds in index.ts), the SQLite file of the ledger, retention, and
// each backend's own settings (store.influx).
import { z } from "zod";
import type { EnvBinding } from "@eastwest/common";
import { POINT_STORE_KINDS } from "./index.ts";
import { checkInfluxTargets, INFLUX_ENV, influxConfigSchema, influxDefaults } from "./influx/config.ts";

export const storeConfigSchema = z
  .object({
    kind: z.enum(POINT_STORE_KINDS),
    /** The SQLite file: everything (embedded); batches, agents, records and a copy of the points for reads (influx). */
    path: z.string().min(1),
    /**
     * Retention in days of the local file (points, and the batch record but each agent's highest;
     * runs, campaigns and agents stay). 0 keeps everything. Checked at start and every hour.
     */
    retentionDays: z.number().int().min(0).max(36_500),
    /**
     * Retention in days of the one-minute rollups (embedded file): what long-range bucketed queries read once the raw
     * points are gone. 0 keeps them for good; otherwise at least retentionDays, which must then be above 0.
     */
    rollupRetentionDays: z.number().int().min(0).max(36_500),
    /**
     * Where the embedded file's compaction (rows into chunks) runs: "worker", a thread of its own with its own
     * connection (another core than ingest), or "inline", on the ingest thread between its writes.
     */
    compaction: z.enum(["worker", "inline"]),
    /**
     * Where the embedded kind's writes (group commits, retention, compaction) run: "thread", a worker thread with a
     * connection of its own, so that a commit's inserts and fsync do not hold the thread that reads gRPC frames,
     * acks and answers the HTTP API; or "inline", on that thread. The influx kind writes inline.
     */
    writer: z.enum(["thread", "inline"]),
    influx: influxConfigSchema,
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.rollupRetentionDays > 0 && (s.retentionDays === 0 || s.rollupRetentionDays < s.retentionDays)) {
      ctx.addIssue({ code: "custom", path: ["rollupRetentionDays"], message: `rollupRetentionDays (${s.rollupRetentionDays}) must be 0 (keep) or at least retentionDays (${s.retentionDays === 0 ? "0: raw points kept for good" : s.retentionDays})` });
    }
  })
  // why: "when" runs the cross-field checks even when other keys failed, so every problem is reported at once.
  .superRefine(checkInfluxTargets, { when: (p) => typeof (p.value as { influx?: unknown })?.influx === "object" });

export type StoreConfig = z.infer<typeof storeConfigSchema>;

export function storeDefaults(): Record<string, unknown> {
  return { kind: "embedded", path: "eastwest-data/eastwest.db", retentionDays: 0, rollupRetentionDays: 0, compaction: "worker", writer: "inline", influx: influxDefaults() };
}

export const STORE_ENV: readonly EnvBinding[] = [
  { name: "EASTWEST_STORE_KIND", path: ["store", "kind"], type: "string" },
  { name: "EASTWEST_STORE_PATH", path: ["store", "path"], type: "string" },
  { name: "EASTWEST_STORE_RETENTION_DAYS", path: ["store", "retentionDays"], type: "number" },
  { name: "EASTWEST_STORE_ROLLUP_RETENTION_DAYS", path: ["store", "rollupRetentionDays"], type: "number" },
  { name: "EASTWEST_STORE_COMPACTION", path: ["store", "compaction"], type: "string" },
  { name: "EASTWEST_STORE_WRITER", path: ["store", "writer"], type: "string" },
  ...INFLUX_ENV,
];
