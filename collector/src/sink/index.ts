// The sinks: push every stored point to the operators' stacks. A sink kind is a codec factory plus one line in
// SINKS; the forwarder (forwarder.ts: delivery rule, queue, retries) and HTTP delivery (http.ts) are shared.
//
// Lifecycle: start() after the store is open; stop(budgetMs) before it closes: each sink forwards what was stored
// until then within the budget, the rest after the next start (cursors are durable). Both safe twice; stop is safe
// without start.
import type { Sample, ThrottledLog } from "@eastwest/common";
import type { Store } from "../store/types.ts";
import type { SinkConfig, SinkKind } from "./config.ts";
import { SinkCursor } from "./cursor.ts";
import { Forwarder } from "./forwarder.ts";
import { httpPoster } from "./http.ts";
import { otlpCodec } from "./otlp/codec.ts";
import { remoteWriteCodec } from "./prom/codec.ts";
import { newSinkStats, sinkPoints, type SinkStats } from "./stats.ts";
import type { SinkCodec } from "./types.ts";

/** One line per kind. */
const SINKS: Record<SinkKind, (c: SinkConfig) => Promise<SinkCodec>> = {
  prometheus: async () => remoteWriteCodec,
  otlp: (c) => otlpCodec(c.encoding),
};

export interface SinksOptions {
  configs: readonly SinkConfig[];
  store: Store;
  tlog: ThrottledLog;
}

export class Sinks {
  readonly #o: SinksOptions;
  readonly #all: Array<{ config: SinkConfig; stats: SinkStats; forwarder?: Forwarder }>;
  #started = false;

  constructor(o: SinksOptions) {
    this.#o = o;
    this.#all = o.configs.map((config) => ({ config, stats: newSinkStats() }));
  }

  /** Each sink's counters, by name. */
  stats(name: string): SinkStats | undefined {
    return this.#all.find((s) => s.config.name === name)?.stats;
  }

  /** Throws when a sink cannot start (no point log in the store, an unreadable tls.ca): a config problem. */
  async start(): Promise<void> {
    if (this.#started || this.#all.length === 0) return;
    this.#started = true;
    const log = this.#o.store.log;
    if (log === undefined) throw new Error("sinks: this store keeps no point log to forward from");
    for (const s of this.#all) {
      const codec = await SINKS[s.config.kind](s.config);
      s.forwarder = new Forwarder({ config: s.config, log, cursor: new SinkCursor(this.#o.store, s.config.name), codec, post: httpPoster(s.config), stats: s.stats, tlog: this.#o.tlog });
    }
    for (const s of this.#all) s.forwarder?.start();
  }

  async stop(budgetMs: number): Promise<void> {
    await Promise.all(this.#all.map((s) => s.forwarder?.stop(budgetMs)));
  }

  /**
   * The lowest point-log position a configured sink has yet to read past (its cursor's `done`; 0n for a sink with no
   * cursor yet); undefined without sinks. Compaction packs nothing above it. Rejects with StoreError.
   */
  async floor(): Promise<bigint | undefined> {
    let low: bigint | undefined;
    for (const s of this.#all) {
      const done = await new SinkCursor(this.#o.store, s.config.name).peek();
      const at = done ?? 0n;
      if (low === undefined || at < low) low = at;
    }
    return low;
  }

  /** The eastwest_collector_sink points of a self report. */
  points(collectorId: string, timeNs: bigint): Sample[] {
    return sinkPoints(collectorId, this.#all.map((s) => ({ name: s.config.name, kind: s.config.kind, stats: s.stats })), timeNs);
  }
}
