// (f) fleet: how one collector on the embedded store holds N simulated hypervisors at 1 Hz (fleet-load.ts), N in
// --fleet-sizes. Per N: a fresh collector process; the values acked per second against the values offered (the
// reference, measured in the same run); the collector's CPU (% of one core) and RSS; the ack latency p50/p99 from
// the batch's making (outbox wait included); the store's bytes per value as rows (the run is shorter than a
// compaction window). The summary row is the largest N measured whose p99 ack latency stayed under 1 s with
// every batch acked. The HTTP API is asked for the agent list every second of the window (its latency at N
// agents). The NATS path is fleet-nats.ts.
import { join } from "node:path";
import { usedBytes } from "../helpers/host-points.ts";
import { tempDir } from "../helpers/procs.ts";
import { driveFleet, HOST_POINTS, HOST_VALUES, quantile, type FleetResult } from "./fleet-load.ts";
import { natsFleetBench } from "./fleet-nats.ts";
import { onCleanup } from "./host.ts";
import { ProcessMeter } from "./proc-stat.ts";
import { startCollector } from "./stack.ts";
import { fmt, verdict, type BenchOutcome, type Row } from "./table.ts";

const TARGET_HOSTS = 1000;
const MAX_P99_MS = 1000;
const MAX_API_MS = 100;

export interface FleetOptions {
  sizes: number[];
  /** The NATS path's sizes (fleet-nats.ts); empty skips it. */
  natsSizes: number[];
  /** store.compaction of the collector, each size measured with each in turn. */
  compaction: Array<"worker" | "inline">;
  seconds: number;
  warmupS: number;
  log: (line: string) => void;
}


interface Measured {
  r: FleetResult;
  cpuPct: number;
  rssMiB: number;
  bytesPerValue: number;
  /** GET /api/v1/agents latencies (ms) asked in the window, sorted. */
  apiMs: number[];
  stalls: Stalls;
}

/** What held the collector's ingest thread in the run (its own eastwest_collector points), and its slow-write lines. */
interface Stalls {
  storeWriteMaxMs: number;
  loopDelayMaxMs: number;
  slowWrites: number;
  /** Flow control: the most points the ingest pipeline held at a report, and the gRPC streams paused in all. */
  queuedMax: number;
  paused: number;
  /** The ingest thread's event-loop utilization, the highest report's (0..1). */
  utilizationMax: number;
}

/** The longest store write and event-loop delay the collector reported since fromNs (every selfIntervalMs, 10 s). */
async function collectorStalls(http: string, fromNs: bigint, stderr: string): Promise<Stalls> {
  const q = new URLSearchParams({ measurement: "eastwest_collector", from: String(fromNs), limit: "100000" });
  const res = await fetch(`${http}/api/v1/series?${q}`);
  if (!res.ok) throw new Error(`GET /api/v1/series eastwest_collector: HTTP ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { series: Array<{ columns: string[]; values: unknown[][] }> };
  const max = (field: string, unit = 1e6) =>
    Math.max(0, ...body.series.flatMap((s) => {
      const i = s.columns.indexOf(field);
      return i < 0 ? [] : s.values.map((row) => Number(row[i] ?? 0) / unit);
    }));
  return {
    storeWriteMaxMs: max("store_write_max_ns"),
    loopDelayMaxMs: max("event_loop_delay_max_ns"),
    slowWrites: stderr.split("\n").filter((l) => l.includes("slow store write")).length,
    queuedMax: max("ingest_queued_points", 1),
    utilizationMax: max("event_loop_utilization", 1),
    paused: max("streams_paused_total", 1),
  };
}

/** Asks the HTTP API for the agent list once a second while the fleet streams; one request at a time. */
class ApiProbe {
  readonly ms: number[] = [];
  #busy = false;
  #last = 0;
  readonly #url: string;

  constructor(http: string) {
    this.#url = `${http}/api/v1/agents`;
  }

  tick(now: number, hosts: number): void {
    if (this.#busy || now - this.#last < 1000) return;
    this.#busy = true;
    this.#last = now;
    const t0 = performance.now();
    void fetch(this.#url)
      .then(async (res) => {
        const body = (await res.json()) as { agents?: unknown[] };
        if (!res.ok || (body.agents?.length ?? 0) < hosts) throw new Error(`GET /api/v1/agents: HTTP ${res.status}, ${body.agents?.length ?? 0} agents of ${hosts}`);
        this.ms.push(performance.now() - t0);
      })
      .catch(() => this.ms.push(Infinity))
      .finally(() => (this.#busy = false));
  }
}

async function one(hosts: number, compaction: "worker" | "inline", o: FleetOptions): Promise<Measured> {
  const dir = tempDir("bench-fleet");
  let col: Awaited<ReturnType<typeof startCollector>> | undefined;
  const stop = onCleanup(async () => {
    await col?.proc.kill("SIGKILL");
    dir.remove();
  });
  try {
    col = await startCollector(dir.path, "127.0.0.1", undefined, { EASTWEST_STORE_COMPACTION: compaction });
    const fromNs = BigInt(Date.now()) * 1_000_000n;
    const meter = new ProcessMeter(col.proc.pid);
    const api = new ApiProbe(col.http);
    let lastSample = 0;
    let started = false;
    const r = await driveFleet({
      address: `127.0.0.1:${col.grpcPort}`, hosts, warmupS: o.warmupS, seconds: o.seconds, drainS: 10,
      onTick: () => {
        const now = performance.now();
        if (!started) ((started = true), meter.start(), (lastSample = now));
        else if (now - lastSample > 1000) (meter.sample(), (lastSample = now));
        api.tick(now, hosts);
      },
    });
    const usage = meter.finish();
    const stalls = await collectorStalls(col.http, fromNs, col.proc.stderr());
    await col.proc.kill("SIGKILL");
    const bytes = usedBytes(join(dir.path, "collector.db"));
    return { r, cpuPct: (usage.cpuS / usage.windowS) * 100, rssMiB: usage.rssMaxBytes / 1048576, bytesPerValue: bytes / (r.ackedTotal * HOST_VALUES), apiMs: [...api.ms].sort((a, b) => a - b), stalls };
  } finally {
    await stop();
  }
}

export async function fleetBench(o: FleetOptions): Promise<BenchOutcome> {
  const rows: Row[] = [];
  const held: number[] = [];
  for (const n of o.sizes) {
    for (const compaction of o.compaction) {
      const b = o.compaction.length > 1 ? `(f) fleet ${n}, compaction ${compaction}` : `(f) fleet ${n}`;
      o.log(`${b}: ${n} hosts at 1 Hz (${HOST_POINTS} points, ${HOST_VALUES} values each), ${o.warmupS} s warm-up + ${o.seconds} s`);
      const m = await one(n, compaction, o);
      const offered = n * HOST_VALUES;
      const acked = m.r.ackedPerS * HOST_VALUES;
      const ok = m.r.latencyP99Ms < MAX_P99_MS && m.r.madeInWindow > 0 && m.r.ackedPerS * o.seconds >= m.r.madeInWindow;
      if (ok && compaction === o.compaction[0]) held.push(n);
      rows.push(
        { bench: b, metric: "values/s acked (vs offered)", value: fmt(acked, 0), reference: fmt(offered, 0), ratio: fmt(acked / offered, 3), target: ">= 0.99", result: verdict(acked / offered >= 0.99) },
        { bench: b, metric: "values/s stored while the window lasted, whenever made (throughput)", value: fmt((m.r.ackedDuringPerS ?? NaN) * HOST_VALUES, 0), reference: fmt(offered, 0), ratio: fmt(((m.r.ackedDuringPerS ?? NaN) * HOST_VALUES) / offered, 3), target: "-", result: "ok" },
        { bench: b, metric: "flow control: most points held in ingest (per report); streams paused", value: `${fmt(m.stalls.queuedMax, 0)}; ${fmt(m.stalls.paused, 0)}`, reference: "", ratio: "", target: "-", result: "ok" },
        { bench: b, metric: "ack latency p50 / p99 ms", value: `${fmt(m.r.latencyP50Ms, 0)} / ${fmt(m.r.latencyP99Ms, 0)}`, reference: "", ratio: "", target: `p99 < ${MAX_P99_MS}`, result: verdict(m.r.latencyP99Ms < MAX_P99_MS) },
        { bench: b, metric: "collector CPU % of a core (all threads); RSS MiB (max)", value: `${fmt(m.cpuPct, 0)} %; ${fmt(m.rssMiB, 0)}`, reference: "", ratio: "", target: "-", result: "ok" },
        { bench: b, metric: "collector's ingest thread: event-loop utilization, highest 10 s report", value: fmt(m.stalls.utilizationMax, 2), reference: "", ratio: "", target: "-", result: "ok" },
        { bench: b, metric: "longest stall ms: store write / collector loop / generator loop; slow writes logged", value: `${fmt(m.stalls.storeWriteMaxMs, 0)} / ${fmt(m.stalls.loopDelayMaxMs, 0)} / ${fmt(m.r.generatorLoopMaxMs, 0)}; ${m.stalls.slowWrites}`, reference: "", ratio: "", target: "-", result: "ok" },
        { bench: b, metric: "GET /api/v1/agents p50 / p99 ms", value: `${fmt(quantile(m.apiMs, 0.5), 0)} / ${fmt(quantile(m.apiMs, 0.99), 0)}`, reference: "", ratio: "", target: `p99 < ${MAX_API_MS}`, result: verdict(quantile(m.apiMs, 0.99) < MAX_API_MS) },
        { bench: b, metric: `store bytes per value (${o.seconds + o.warmupS >= 360 ? "compaction ran" : "rows: shorter than a compaction window"})`, value: fmt(m.bytesPerValue, 1), reference: "", ratio: "", target: "-", result: "ok" },
      );
      o.log(`${b}: ${fmt(acked, 0)} of ${fmt(offered, 0)} values/s acked, p99 ${fmt(m.r.latencyP99Ms, 0)} ms, CPU ${fmt(m.cpuPct, 0)} %, backlog ${m.r.backlog}`);
      const slow = (m.r.byTenSeconds ?? []).filter((x) => x.hostsOver1s > 0);
      if (slow.length > 0) o.log(`${b}: 10 s spans with acks over 1 s (made from s: max ms, hosts): ${slow.map((x) => `${x.fromS}: ${fmt(x.maxMs, 0)}, ${x.hostsOver1s}`).join("; ")}`);
    }
  }
  const best = held.length > 0 ? Math.max(...held) : 0;
  rows.push({ bench: "(f) fleet", metric: `largest N measured with p99 ack < ${MAX_P99_MS} ms, all acked`, value: fmt(best, 0), reference: fmt(TARGET_HOSTS, 0), ratio: fmt(best / TARGET_HOSTS, 2), target: `>= ${TARGET_HOSTS}`, result: verdict(best >= TARGET_HOSTS) });
  const notes = [`(f) sizes ${o.sizes.join(", ")}; one collector process (embedded store, defaults) and the load generator in the bench's process, on this host's cores`];
  if (o.natsSizes.length > 0) {
    const nats = await natsFleetBench({ sizes: o.natsSizes, seconds: o.seconds, warmupS: o.warmupS, log: o.log });
    rows.push(...nats.rows);
    notes.push(...nats.notes);
  }
  return { rows, notes };
}
