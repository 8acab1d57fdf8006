// The point-store registry and the store factory. A backend is a folder
// (embedded/, influx/) with a PointStore (point-store.ts) plus one line in
// POINT_STORES; store.kind accepts exactly these keys (config.ts). Whatever
// the kind, the ledger is the embedded SQLite file at store.path, and the
// embedded point store in it is passed to every factory (the influx backend
// keeps its copy for reads there).
import type { Logger } from "@eastwest/common";
import { EmbeddedFile } from "./embedded/file.ts";
import { EmbeddedLedger } from "./embedded/ledger.ts";
import { EmbeddedPoints } from "./embedded/points.ts";
import type { InfluxConfig } from "./influx/config.ts";
import { createInfluxPoints } from "./influx/factory.ts";
import type { PointStore } from "./point-store.ts";
import { Storage } from "./storage.ts";
import { ThreadedStore } from "./threaded.ts";
import { WriterThread } from "./embedded/write-thread.ts";
import type { Store } from "./types.ts";

/** What a point-store factory gets. */
export interface PointStoreContext {
  settings: StoreSettings;
  /** The embedded point store in the ledger's file. */
  local: EmbeddedPoints;
  logger?: Logger;
}

/** One line per kind. */
const POINT_STORES = {
  embedded: (c: PointStoreContext): PointStore => c.local,
  influx: (c: PointStoreContext): PointStore => createInfluxPoints(c.settings.influx, c.local, { logger: c.logger }),
} as const;

export type PointStoreKind = keyof typeof POINT_STORES;
export const POINT_STORE_KINDS = Object.keys(POINT_STORES) as [PointStoreKind, ...PointStoreKind[]];

/** The parts of the store section (config.ts) the factory reads. */
export interface StoreSettings {
  kind: PointStoreKind;
  /** The ledger's SQLite file. */
  path: string;
  /** Where the embedded file's compaction runs (file.ts); inline when absent. */
  compaction?: "worker" | "inline";
  /** Where the embedded kind's writes run (threaded.ts); inline when absent. */
  writer?: "thread" | "inline";
  influx: InfluxConfig;
}

/** The ledger at settings.path paired with the point store of settings.kind. */
export function createStore(settings: StoreSettings, logger?: Logger): Store {
  const file = new EmbeddedFile({ path: settings.path, compaction: settings.compaction ?? "inline" });
  const local = new EmbeddedPoints(file);
  const points = POINT_STORES[settings.kind]({ settings, local, logger });
  const ledger = new EmbeddedLedger(file);
  if (settings.kind !== "embedded" || settings.writer !== "thread") return new Storage(ledger, points, local);
  return new ThreadedStore(ledger, points, local, new WriterThread({ path: settings.path, compaction: settings.compaction ?? "inline", gate: file.gate.cell }));
}
