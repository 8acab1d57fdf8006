// Ingest rate of the embedded store: durable batches (one fsync each) of
// netdev-like points, written back to back on a temp file.
// Run: node integration/store/embedded.bench.ts [batches] [points-per-batch ...]
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sample } from "@eastwest/common";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";

function makeBatch(seq: number, size: number, baseNs: bigint): Sample[] {
  const points: Sample[] = new Array(size);
  for (let i = 0; i < size; i++) {
    const n = BigInt(seq * size + i);
    points[i] = {
      measurement: "netdev",
      tags: { agent_id: "bench", host: "h1", netns: "net:[4026531840]", device: `veth${i % 50}` },
      fields: {
        rx_bytes_total: n * 1500n,
        rx_packets_total: n,
        rx_dropped_total: 0n,
        tx_bytes_total: n * 1400n,
        tx_packets_total: n,
        tx_dropped_total: 0n,
        rx_bytes_per_s: 1.25e9,
        up: true,
      },
      timeNs: baseNs + BigInt(seq) * 1_000_000_000n,
    };
  }
  return points;
}

async function run(batches: number, size: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "eastwest-bench-"));
  const store = new EmbeddedStore({ path: join(dir, "store.db") });
  await store.open();
  const baseNs = 1_700_000_000_000_000_000n;
  const prepared = Array.from({ length: batches }, (_, s) => makeBatch(s, size, baseNs));
  const started = process.hrtime.bigint();
  for (let s = 0; s < batches; s++) {
    const out = await store.writeBatch({ agentId: "bench", seq: BigInt(s + 1), points: prepared[s]!, receivedNs: baseNs });
    if (out.kind !== "ok") throw new Error(`batch ${s + 1}: ${JSON.stringify(out)}`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await store.close();
  const bytes = (await stat(join(dir, "store.db"))).size;
  await rm(dir, { recursive: true, force: true });
  const points = batches * size;
  console.log(
    `${size} points/batch: ${points} points in ${seconds.toFixed(2)} s = ${Math.round(points / seconds)} points/s, ` +
      `${Math.round(batches / seconds)} batches/s, ${(bytes / points).toFixed(0)} bytes/point on disk`,
  );
}

const [batchesArg, ...sizes] = process.argv.slice(2);
for (const size of sizes.length > 0 ? sizes.map(Number) : [100, 500, 1000]) {
  await run(Number(batchesArg ?? 200), size);
}
