// Batches, stores and a counting transport shared by the InfluxDB store tests.
import { join } from "node:path";
import { nowNs, type Sample } from "@eastwest/common";
import { EmbeddedFile } from "../../../collector/src/store/embedded/file.ts";
import { EmbeddedLedger } from "../../../collector/src/store/embedded/ledger.ts";
import { EmbeddedPoints } from "../../../collector/src/store/embedded/points.ts";
import { influxConfigSchema, influxDefaults, type InfluxConfig } from "../../../collector/src/store/influx/config.ts";
import { createInfluxPoints, influxTransport } from "../../../collector/src/store/influx/factory.ts";
import { Storage } from "../../../collector/src/store/storage.ts";
import type { InfluxTransport, SendResult } from "../../../collector/src/store/influx/transport.ts";
import type { StoredBatch } from "../../../collector/src/store/types.ts";

/** A time on a whole millisecond (VictoriaMetrics keeps ms), unique per call. */
let last = 0n;
export function msTime(): bigint {
  let t = (nowNs() / 1_000_000n) * 1_000_000n;
  if (t <= last) t = last + 1_000_000n;
  last = t;
  return t;
}

export function baseTags(agentId: string): Record<string, string> {
  return { agent_id: agentId, host: "hv01", netns: "", interface: "eth0" };
}

/** netdev (uint counter, float rate) and netstate (bool, uint, qdisc tag) at one time. */
export function batch(agentId: string, seq: bigint, timeNs: bigint, rxBytes: bigint = 1000n + seq): StoredBatch {
  const points: Sample[] = [
    { measurement: "netdev", tags: baseTags(agentId), fields: { rx_bytes_total: rxBytes, rx_bytes_per_s: 12.5 }, timeNs },
    {
      measurement: "netstate",
      tags: { ...baseTags(agentId), qdisc: "fq_codel", operstate: "up" },
      fields: { mtu_bytes: 1500n, tx_checksumming: true, generic_receive_offload: false },
      timeNs,
    },
  ];
  return { agentId, seq, points, receivedNs: nowNs() };
}

/** The store's InfluxDB settings: the defaults with `over` on top. */
export function influxConfig(over: Partial<InfluxConfig>): InfluxConfig {
  return influxConfigSchema.parse({ ...influxDefaults(), ...over });
}

/** A transport that remembers every request's lines and result. */
export class Recording implements InfluxTransport {
  readonly requests: Array<{ lines: readonly string[]; result: SendResult }> = [];
  readonly #inner: InfluxTransport;

  constructor(inner: InfluxTransport) {
    this.#inner = inner;
  }

  async send(lines: readonly string[]): Promise<SendResult> {
    const result = await this.#inner.send(lines);
    this.requests.push({ lines, result });
    return result;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

export interface TestStore {
  store: Storage;
  /** Every request as it left the store: one entry per attempt. */
  wire: Recording;
}

/** The store createStore builds for c, over a fresh SQLite file in dir, with its requests recorded. */
export function testStore(dir: string, name: string, c: InfluxConfig): TestStore {
  const wire = new Recording(influxTransport(c));
  const file = new EmbeddedFile(join(dir, `${name}.db`));
  return { store: new Storage(new EmbeddedLedger(file), createInfluxPoints(c, new EmbeddedPoints(file), { transport: wire })), wire };
}
