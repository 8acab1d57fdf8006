// eastwest benchmarks: one table, each figure next to its reference measured
// in the same run. Not run in CI. Progress goes to stderr, the table to stdout.
//   node bench/run.ts [--only a,b,c] [--seconds 60] [--ingest-seconds 10] [--pairs 3] ...
import { parseArgs } from "node:util";
import { killAll } from "../helpers/procs.ts";
import { cleanUpOnExit, runCleanups } from "./host.ts";
import { ingestBench } from "./ingest.ts";
import { overheadBench } from "./overhead.ts";
import { perturbationBench, type Delivery } from "./perturbation.ts";
import { profileBench } from "./profile-perturbation.ts";
import { fleetBench } from "./fleet.ts";
import { storeBench } from "./store.ts";
import { renderNotes, renderTable, statusRow, type BenchOutcome, type Row } from "./table.ts";

const USAGE = `usage: node bench/run.ts [flags]   (from the repo root: npm run bench -w @eastwest/test -- [flags])

  --only LIST            benchmarks to run, comma separated (default a,b,c):
                           a | overhead      agent vs prometheus-node-exporter: CPU and RSS
                           b | ingest        collector ingest vs a raw grpc-js server
                           c | perturbation  iperf3 between namespaces with and without agents (root)
                           d | profile       iperf3 between namespaces with and without the run's CPU profile
                                             (perf record as the agents run it; root; not in the default)
                           e | store         the embedded file: bytes per value and one series' query, rows vs
                                             compacted chunks (not in the default)
                           f | fleet         N simulated hypervisors at 1 Hz into one collector: values/s acked,
                                             ack latency, collector CPU and RSS (not in the default)
  --seconds N            (a) measured window (60)
  --warmup-seconds N     warm-up before measuring (5 for a, 2 for b, 10 for c's agents)
  --steady-seconds N     (a) a second window this long after the agent's first data: its steady state
                         (600; 0 skips it)
  --ingest-seconds N     (b) measured window per server (10)
  --window N             (b) unacked batches in flight (64, the agent's default)
  --points N             (b) points per batch (500)
  --pairs N              (c) pairs of separate runs, ABBA order (3; 0 skips them)
  --rounds N             (b) alternating reference/collector rounds, median ratio reported (3)
  --iperf-seconds N      (c) length of each separate iperf3 run (5)
  --interleaved-seconds N (c, d) one run per direction with agents stopped/running (d: perf disabled/enabled)
                         in 2 s phases (40; 0 skips c's)
  --stacks N,M           (c) interleaved runs with N (then M) agents per namespace (1); above 1, each row also
                         gives the difference per stack (diff / N): N times the load, N times the resolution
  --delivery D,E         (c) held (agents hold their samples during the traffic, as \`eastwest run\` does) and/or
                         live (they stream as sampled: continuous 10 Hz monitoring); each measured in turn (held)
  --profile-hz N,M       (d) perf's sampling rates, each measured in turn (the run's: 49)
  --profile-call-graph on|off  (d) perf -g (the run's: on)
  --store-hours N        (e) hours of one agent-shaped host at 1 Hz (24)
  --fleet-sizes LIST     (f) numbers of simulated hosts, comma separated (10,100,1000)
  --fleet-seconds N      (f) measured window per size (20; after 5 s of warm-up)
  --fleet-compaction LIST (f) store.compaction of the collector, each size with each: worker and/or inline
                         (worker; a window of 360 s or more lets compaction run in it)
  --fleet-nats-sizes LIST (f) the NATS path (JetStream -> 1, then 2 collectors -> VictoriaMetrics) at these
                         numbers of hosts (300; none skips it)
  --help

Runs as root may install Debian packages that are missing (prometheus-node-exporter, iperf3) and say so.
Exit status: 0 when every benchmark produced figures (a MISS is a finding, not a failure), 1 when one failed, 64 on bad flags.`;

type BenchId = "a" | "b" | "c" | "d" | "e" | "f";
const NAMES: Record<string, BenchId> = { a: "a", overhead: "a", b: "b", ingest: "b", c: "c", perturbation: "c", d: "d", profile: "d", e: "e", store: "e", f: "f", fleet: "f" };

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: "string", default: "a,b,c" },
      seconds: { type: "string", default: "60" },
      "warmup-seconds": { type: "string" },
      "steady-seconds": { type: "string", default: "600" },
      "ingest-seconds": { type: "string", default: "10" },
      window: { type: "string", default: "64" },
      points: { type: "string", default: "500" },
      pairs: { type: "string", default: "3" },
      rounds: { type: "string", default: "3" },
      "iperf-seconds": { type: "string", default: "5" },
      "interleaved-seconds": { type: "string", default: "40" },
      stacks: { type: "string", default: "1" },
      delivery: { type: "string", default: "held" },
      "profile-hz": { type: "string" },
      "profile-call-graph": { type: "string" },
      "store-hours": { type: "string", default: "24" },
      "fleet-sizes": { type: "string", default: "10,100,1000" },
      "fleet-seconds": { type: "string", default: "20" },
      "fleet-nats-sizes": { type: "string", default: "300" },
      "fleet-compaction": { type: "string", default: "worker" },
      help: { type: "boolean", default: false },
    },
  });
  const problems: string[] = [];
  const num = (name: keyof typeof values, min: number): number => {
    const raw = values[name];
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) problems.push(`--${name}: expected a number >= ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const only = new Set<BenchId>();
  for (const name of (values.only ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const key = NAMES[name];
    if (key) only.add(key);
    else problems.push(`--only: unknown benchmark ${JSON.stringify(name)} (a|overhead, b|ingest, c|perturbation, d|profile, e|store, f|fleet)`);
  }
  const stacks: number[] = [];
  for (const s of (values.stacks ?? "").split(",").map((x) => x.trim())) {
    const n = Number(s);
    if (Number.isInteger(n) && n >= 1 && n <= 8) stacks.push(n);
    else problems.push(`--stacks: expected whole numbers 1..8 separated by commas, got ${JSON.stringify(values.stacks)}`);
  }
  const delivery: Delivery[] = [];
  for (const d of (values.delivery ?? "").split(",").map((x) => x.trim())) {
    if (d === "held" || d === "live") delivery.push(d);
    else problems.push(`--delivery: expected held and/or live separated by commas, got ${JSON.stringify(values.delivery)}`);
  }
  const warmup = values["warmup-seconds"] === undefined ? undefined : num("warmup-seconds", 0);
  const opts = {
    help: values.help ?? false,
    only,
    seconds: num("seconds", 1),
    overheadWarmupS: warmup ?? 5,
    steadyS: num("steady-seconds", 0),
    ingestWarmupS: warmup ?? 2,
    ingestSeconds: num("ingest-seconds", 0.5),
    window: Math.floor(num("window", 1)),
    points: Math.floor(num("points", 1)),
    pairs: Math.floor(num("pairs", 0)),
    rounds: Math.floor(num("rounds", 1)),
    iperfSeconds: Math.floor(num("iperf-seconds", 1)),
    perturbationWarmupS: warmup ?? 10,
    interleavedSeconds: Math.floor(num("interleaved-seconds", 0)),
    stacks: [...new Set(stacks)],
    delivery: [...new Set(delivery)],
    profileHz: values["profile-hz"] === undefined ? undefined : values["profile-hz"].split(",").map((x) => Number(x.trim())),
    storeHours: num("store-hours", 0.1),
    fleetSizes: (values["fleet-sizes"] ?? "").split(",").map((x) => Number(x.trim())),
    fleetSeconds: num("fleet-seconds", 1),
    fleetCompaction: (values["fleet-compaction"] ?? "").split(",").map((x) => x.trim()),
    fleetNatsSizes: values["fleet-nats-sizes"] === "none" ? [] : (values["fleet-nats-sizes"] ?? "").split(",").map((x) => Number(x.trim())),
    profileCallGraph: values["profile-call-graph"] === undefined ? undefined : values["profile-call-graph"] !== "off",
  };
  if (opts.profileHz?.some((n) => !Number.isInteger(n) || n < 1 || n > 100_000)) problems.push(`--profile-hz: expected whole numbers 1..100000 separated by commas, got ${JSON.stringify(values["profile-hz"])}`);
  if (values["profile-call-graph"] !== undefined && !["on", "off"].includes(values["profile-call-graph"])) problems.push(`--profile-call-graph: expected on or off, got ${JSON.stringify(values["profile-call-graph"])}`);
  // why: each interleaved quartet is 4 phases of 2 s, after and before 1.5 s of ramp.
  if (opts.interleavedSeconds > 0 && opts.interleavedSeconds < 11) problems.push(`--interleaved-seconds: expected 0 or >= 11 (one ABBA quartet of 2 s phases plus ramp), got ${opts.interleavedSeconds}`);
  if (opts.fleetSizes.some((n) => !Number.isInteger(n) || n < 1 || n > 20_000)) problems.push(`--fleet-sizes: expected whole numbers 1..20000 separated by commas, got ${JSON.stringify(values["fleet-sizes"])}`);
  if (opts.fleetCompaction.length === 0 || opts.fleetCompaction.some((c) => c !== "worker" && c !== "inline")) problems.push(`--fleet-compaction: expected worker and/or inline separated by commas, got ${JSON.stringify(values["fleet-compaction"])}`);
  if (opts.fleetNatsSizes.some((n) => !Number.isInteger(n) || n < 1 || n > 20_000)) problems.push(`--fleet-nats-sizes: expected none or whole numbers 1..20000 separated by commas, got ${JSON.stringify(values["fleet-nats-sizes"])}`);
  if (only.has("d") && opts.interleavedSeconds === 0) problems.push("(d) needs --interleaved-seconds above 0");
  if (only.has("c") && opts.pairs === 0 && opts.interleavedSeconds === 0) problems.push("(c) needs --pairs or --interleaved-seconds above 0");
  return { opts, problems };
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function guarded(bench: string, fn: () => Promise<BenchOutcome>): Promise<BenchOutcome & { failed: boolean }> {
  try {
    return { ...(await fn()), failed: false };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`${bench} failed: ${err instanceof Error && err.stack ? err.stack : message}`);
    return { rows: [statusRow(bench, `failed: ${message.split("\n")[0]?.slice(0, 160)}`)], notes: [], failed: true };
  } finally {
    await killAll();
    await runCleanups(log);
  }
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    return 64;
  }
  const { opts, problems } = parsed;
  if (opts.help) return (process.stdout.write(`${USAGE}\n`), 0);
  if (problems.length > 0) return (process.stderr.write(`${problems.join("\n")}\n\n${USAGE}\n`), 64);

  const outcomes: Array<BenchOutcome & { failed: boolean }> = [];
  if (opts.only.has("a")) outcomes.push(await guarded("(a) overhead", () => overheadBench({ seconds: opts.seconds, warmupS: opts.overheadWarmupS, steadyS: opts.steadyS, log })));
  if (opts.only.has("b")) {
    const o = { seconds: opts.ingestSeconds, warmupS: opts.ingestWarmupS, window: opts.window, pointsPerBatch: opts.points, rounds: opts.rounds, log };
    outcomes.push(await guarded("(b) ingest", () => ingestBench(o)));
  }
  if (opts.only.has("c")) outcomes.push(await guarded("(c) perturbation", () => perturbationBench({ pairs: opts.pairs, iperfSeconds: opts.iperfSeconds, warmupS: opts.perturbationWarmupS, interleavedSeconds: opts.interleavedSeconds, stacks: opts.stacks, delivery: opts.delivery, log })));
  if (opts.only.has("f")) outcomes.push(await guarded("(f) fleet", () => fleetBench({ sizes: opts.fleetSizes, compaction: opts.fleetCompaction as Array<"worker" | "inline">, natsSizes: opts.fleetNatsSizes, seconds: opts.fleetSeconds, warmupS: 5, log })));
  if (opts.only.has("e")) outcomes.push(await guarded("(e) store", () => storeBench({ hours: opts.storeHours, log })));
  if (opts.only.has("d")) outcomes.push(await guarded("(d) profile", () => profileBench({ interleavedSeconds: opts.interleavedSeconds, rates: opts.profileHz, callGraph: opts.profileCallGraph, log })));

  const rows: Row[] = outcomes.flatMap((o) => o.rows);
  const notes = outcomes.flatMap((o) => o.notes);
  process.stdout.write(`\n${renderTable(rows)}\n`);
  if (notes.length > 0) process.stdout.write(`\n${renderNotes(notes)}\n`);
  return outcomes.some((o) => o.failed) ? 1 : 0;
}

cleanUpOnExit(log);

process.exitCode = await main();
