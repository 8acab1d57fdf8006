// (b) Collector ingest: points/s acked end to end (load generator -> collector
// process -> embedded store, durable acks) against the reference measured in
// the same run: the same encoded frames streamed to a trivial grpc-js server
// (its own process) that decodes and acks without storing.
import { fileURLToPath } from "node:url";
import { jsonLine, startProcess, tempDir, type Proc } from "../helpers/procs.ts";
import { BatchEncoder, driveLoad, type LoadResult } from "./ingest-load.ts";
import { ProcessMeter } from "./proc-stat.ts";
import { startCollector } from "./stack.ts";
import { fmt, verdict, type BenchOutcome } from "./table.ts";
import { onCleanup } from "./host.ts";

export interface IngestOptions {
  seconds: number;
  warmupS: number;
  window: number;
  pointsPerBatch: number;
  /** Alternating reference/collector rounds; the median ratio is reported (default 3). */
  rounds?: number;
  log: (line: string) => void;
}

const REFERENCE_SERVER = fileURLToPath(new URL("./ingest-reference-server.ts", import.meta.url));
const TARGET_RATIO = 0.7;

interface Measured {
  load: LoadResult;
  serverCpuPct: number;
}

async function measure(proc: Proc, grpcPort: number, o: IngestOptions, agentId: string): Promise<Measured> {
  const encoder = new BatchEncoder(agentId, o.pointsPerBatch, BigInt(Date.now()) * 1_000_000n);
  const meter = new ProcessMeter(proc.pid);
  meter.start();
  const load = await driveLoad({ address: `127.0.0.1:${grpcPort}`, encoder, window: o.window, warmupS: o.warmupS, seconds: o.seconds });
  const usage = meter.finish();
  return { load, serverCpuPct: (usage.cpuS / usage.windowS) * 100 };
}

async function reference(o: IngestOptions): Promise<Measured> {
  const proc = startProcess(process.execPath, [REFERENCE_SERVER]);
  const stop = onCleanup(async () => void (await proc.kill("SIGKILL")));
  try {
    const { grpc_port } = await jsonLine<{ grpc_port: number }>(proc);
    return await measure(proc, grpc_port, o, "bench-reference");
  } finally {
    await stop();
  }
}

async function collector(o: IngestOptions): Promise<Measured> {
  const dir = tempDir("bench-ingest");
  let col: Awaited<ReturnType<typeof startCollector>> | undefined;
  const stop = onCleanup(async () => {
    await col?.proc.kill("SIGKILL");
    dir.remove();
  });
  try {
    col = await startCollector(dir.path);
    return await measure(col.proc, col.grpcPort, o, "bench-ingest");
  } finally {
    await stop();
  }
}

/** Median of the per-round ratios; rounds alternate reference and collector so load on a shared host hits both. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export async function ingestBench(o: IngestOptions): Promise<BenchOutcome> {
  const rounds: Array<{ ref: Measured; col: Measured }> = [];
  for (let r = 1; r <= Math.max(1, o.rounds ?? 3); r++) {
    o.log(`(b) ingest round ${r}: reference grpc-js server, ${o.warmupS} s warm-up + ${o.seconds} s`);
    const ref = await reference(o);
    o.log(`(b) ingest round ${r}: collector + embedded store, ${o.warmupS} s warm-up + ${o.seconds} s`);
    rounds.push({ ref, col: await collector(o) });
  }
  const ratios = rounds.map((x) => x.col.load.pointsPerS / x.ref.load.pointsPerS);
  const ratio = median(ratios);
  const pick = rounds[ratios.indexOf([...ratios].sort((a, b) => a - b)[Math.floor((ratios.length - 1) / 2)] as number)] as { ref: Measured; col: Measured };
  const { ref, col } = pick;
  const describe = (name: string, m: Measured) =>
    `${name}: ${m.load.batchesAcked} batches (${fmt(m.load.pointsAcked, 0)} points) acked in ${fmt(m.load.windowS, 1)} s, ` +
    `${fmt(m.load.batchesAcked / m.load.windowS, 0)} batches/s; server process ${fmt(m.serverCpuPct, 0)} % of a core over warm-up + window + drain`;
  return {
    rows: [
      {
        bench: "(b) ingest",
        metric: "points/s acked",
        value: fmt(col.load.pointsPerS, 0),
        reference: fmt(ref.load.pointsPerS, 0),
        ratio: fmt(ratio, 2),
        target: `ratio >= ${TARGET_RATIO}`,
        result: verdict(ratio >= TARGET_RATIO),
      },
    ],
    notes: [
      `(b) eastwest = load generator -> collector process -> embedded store (durable ack per batch); reference = same frames -> grpc-js server that decodes and acks, no store. ` +
        `${o.pointsPerBatch} netdev points x 20 fields per batch, window ${o.window} unacked batches, one stream.`,
      `(b) ratio per round (reference and collector alternate): ${ratios.map((x) => fmt(x, 2)).join(", ")}; the row shows the median round`,
      `(b) ${describe("collector", col)}`,
      `(b) ${describe("reference", ref)}`,
    ],
  };
}
