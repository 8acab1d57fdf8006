// (f) fleet, the NATS path: N simulated hypervisors (fleet-nats-load.ts) -> nats-server JetStream -> 1, then 2
// collectors sharing the durable consumer -> VictoriaMetrics (store kind influx; the collectors share the embedded
// ledger file). Per collector count, a fresh nats-server, VictoriaMetrics and collectors: values/s stored against
// the values offered (measured in the same run), latency from a batch's making to its consumer ack, the CPU of
// each collector, nats-server and VictoriaMetrics, and VictoriaMetrics' bytes per value. The scale row is the
// values stored per second by two collectors over those stored by one, at the same N.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startNatsServer, type NatsServer } from "../helpers/nats.ts";
import { jsonLine, start, tempDir, type Proc } from "../helpers/procs.ts";
import { startVictoriaMetrics, type VictoriaMetrics } from "../helpers/tsdb.ts";
import { HOST_VALUES } from "./fleet-load.ts";
import { driveNatsFleet, type NatsFleetResult } from "./fleet-nats-load.ts";
import { onCleanup } from "./host.ts";
import { ProcessMeter } from "./proc-stat.ts";
import { fmt, verdict, type Row } from "./table.ts";

const SCALE_TARGET = 1.7;

export interface NatsFleetOptions {
  sizes: number[];
  seconds: number;
  warmupS: number;
  log: (line: string) => void;
}

interface Measured {
  r: NatsFleetResult;
  collectorCpuPct: number[];
  natsCpuPct: number;
  vmCpuPct: number;
  bytesPerValue: number;
}

function collectorConfig(dir: string, k: number, nats: NatsServer, vm: VictoriaMetrics): string {
  const path = join(dir, `collector-${k}.json`);
  const collector = {
    id: `bench-col-${k}`,
    logLevel: "warn",
    grpc: { port: 0 },
    http: { port: 0, localToken: false },
    store: { kind: "influx", path: join(dir, "ledger.db"), influx: { url: vm.url, api: "v2", org: "eastwest", bucket: "eastwest", precision: "ms" } },
    nats: { enabled: true, servers: [nats.url] },
  };
  writeFileSync(path, JSON.stringify({ collector }, null, 2));
  return path;
}

/** VictoriaMetrics' own account of its data on disk (after a flush of what it holds in memory). */
async function vmDataBytes(vm: VictoriaMetrics): Promise<number> {
  await (await fetch(`${vm.url}/internal/force_flush`)).arrayBuffer();
  const text = await (await fetch(`${vm.url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^vm_data_size_bytes\{[^}]*\} (\d+(?:\.\d+)?(?:e\+?\d+)?)$/gm)) sum += Number(m[1]);
  return sum;
}

async function one(hosts: number, collectors: number, o: NatsFleetOptions): Promise<Measured> {
  const dir = tempDir("bench-fleet-nats");
  let nats: NatsServer | undefined;
  let vm: VictoriaMetrics | undefined;
  const procs: Proc[] = [];
  const stop = onCleanup(async () => {
    for (const p of procs) await p.kill("SIGKILL");
    await vm?.stop();
    await nats?.stop();
    dir.remove();
  });
  try {
    nats = await startNatsServer();
    vm = await startVictoriaMetrics();
    for (let k = 0; k < collectors; k++) {
      const p = start(["collector", "-c", collectorConfig(dir.path, k, nats, vm)]);
      procs.push(p);
      await jsonLine(p);
    }
    const meters = [...procs.map((p) => new ProcessMeter(p.pid)), new ProcessMeter(nats.proc.pid), new ProcessMeter(vm.proc.pid)];
    let last = 0;
    let started = false;
    const r = await driveNatsFleet({
      url: nats.url, hosts, warmupS: o.warmupS, seconds: o.seconds, drainS: 10,
      onTick: () => {
        const now = performance.now();
        if (!started) ((started = true), meters.forEach((m) => m.start()), (last = now));
        else if (now - last > 1000) (meters.forEach((m) => m.sample()), (last = now));
      },
    });
    const pct = meters.map((m) => {
      const u = m.finish();
      return (u.cpuS / u.windowS) * 100;
    });
    const bytes = await vmDataBytes(vm);
    return { r, collectorCpuPct: pct.slice(0, collectors), natsCpuPct: pct[collectors] as number, vmCpuPct: pct[collectors + 1] as number, bytesPerValue: bytes / (r.ackedTotal * HOST_VALUES) };
  } finally {
    await stop();
  }
}

export async function natsFleetBench(o: NatsFleetOptions): Promise<{ rows: Row[]; notes: string[] }> {
  const rows: Row[] = [];
  for (const n of o.sizes) {
    const stored: number[] = [];
    for (const collectors of [1, 2]) {
      o.log(`(f) fleet over NATS: ${n} hosts -> JetStream -> ${collectors} collector(s) -> VictoriaMetrics, ${o.warmupS} s warm-up + ${o.seconds} s`);
      const m = await one(n, collectors, o);
      const offered = n * HOST_VALUES;
      const acked = m.r.ackedPerS * HOST_VALUES;
      stored.push(acked);
      const b = `(f) nats ${n} x${collectors}`;
      rows.push(
        { bench: b, metric: "values/s stored (vs offered)", value: fmt(acked, 0), reference: fmt(offered, 0), ratio: fmt(acked / offered, 3), target: "-", result: "ok" },
        { bench: b, metric: "made -> consumer ack p50 / p99 ms", value: `${fmt(m.r.latencyP50Ms, 0)} / ${fmt(m.r.latencyP99Ms, 0)}`, reference: "", ratio: "", target: "-", result: "ok" },
        { bench: b, metric: "CPU % of a core: collector(s); nats-server; VictoriaMetrics", value: `${m.collectorCpuPct.map((c) => fmt(c, 0)).join(" + ")}; ${fmt(m.natsCpuPct, 0)}; ${fmt(m.vmCpuPct, 0)}`, reference: "", ratio: "", target: "-", result: "ok" },
        { bench: b, metric: "VictoriaMetrics bytes per value", value: fmt(m.bytesPerValue, 2), reference: "", ratio: "", target: "-", result: "ok" },
      );
      o.log(`(f) nats ${n} x${collectors}: ${fmt(acked, 0)} of ${fmt(offered, 0)} values/s stored, p99 ${fmt(m.r.latencyP99Ms, 0)} ms, collectors ${m.collectorCpuPct.map((c) => fmt(c, 0)).join("+")} %, pending ${m.r.pendingAtEnd}`);
    }
    const scale = (stored[1] as number) / (stored[0] as number);
    // why: where one collector stored everything offered, a second has nothing to add: the ratio says nothing.
    const oneKeptUp = (stored[0] as number) >= 0.99 * n * HOST_VALUES;
    rows.push({ bench: `(f) nats ${n}`, metric: "values/s stored: 2 collectors / 1", value: fmt(stored[1] as number, 0), reference: fmt(stored[0] as number, 0), ratio: fmt(scale, 2), target: `>= ${SCALE_TARGET}`, result: oneKeptUp ? "n/a: 1 kept up" : verdict(scale >= SCALE_TARGET) });
  }
  return { rows, notes: [`(f) NATS path: sizes ${o.sizes.join(", ")}; nats-server, VictoriaMetrics, the collectors and the load generator all on this host's cores; a second collector can only scale where the first one, not the host, is the limit`] };
}
