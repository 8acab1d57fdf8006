// (d) profile: what the run's CPU profile costs the traffic it measures. `eastwest run` has each machine's agent
// record `perf record -e cpu-clock -F 49 -a -g` during the traffic (collectProfile) and decode it after; the
// recording is the part that runs while iperf3 does. Measured as (c)'s interleaved runs: one long iperf3 run per
// direction between two namespaces while perf, started with the agent's own arguments (agent/src/host/
// perf.profile.collect.ts profileArgs) and the run's rate and call graphs (collector/src/run/profile-run.ts), is
// alternately enabled and disabled through its control pipe (`--control fd:`, `-D -1`) in ABBA phases; disabled
// events take no samples, so "none" phases have no profiling work at all (a stopped perf process would leave the
// kernel's sampling on). A phase's throughput is the receiving veth's byte counter over its last part.
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { profileArgs } from "../../agent/src/host/perf.profile.collect.ts";
import { PROFILE_CALL_GRAPH, PROFILE_HZ } from "../../collector/src/run/profile-run.ts";
import { startProcess, tempDir, waitFor } from "../helpers/procs.ts";
import { ensureBinaries, isRoot, onCleanup } from "./host.ts";
import { createTopology, destroyTopology, nsCommand, type Topology } from "./netns.ts";
import { differences, judge, mean, meanDifference, type Pair } from "./paired.ts";
import { receivedBytes, startIperfServer } from "./perturbation.ts";
import { DIRECTIONS, IPERF_PORT, MAX_DIFF_PCT, PHASE_MS, RAMP_MS, SETTLE_MS, type Direction } from "./perturbation-types.ts";
import { fmt, statusRow, type BenchOutcome, type Row } from "./table.ts";

export const PROFILE_BENCH = "(d) profile";

export interface ProfileBenchOptions {
  /** Seconds of each direction's iperf3 run (>= 11: one ABBA quartet of 2 s phases plus the ramp). */
  interleavedSeconds: number;
  /** Sampling rates, each measured in turn (default: the run's, PROFILE_HZ), and call graphs (default: the run's). */
  rates?: readonly number[];
  callGraph?: boolean;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** perf record with the agent's arguments, events disabled until told, controlled over fds 3 (commands) and 4 (acks). */
interface Perf {
  pid: number;
  exited: Promise<number | null>;
  stderr: () => string;
  set: (on: boolean) => Promise<void>;
  stop: () => Promise<void>;
}

async function startPerf(file: string, seconds: number, hz: number, callGraph: boolean): Promise<Perf> {
  const { record } = profileArgs(file, { durationMs: seconds * 1000, frequencyHz: hz, callGraph });
  const at = record.indexOf("--");
  const args = [...record.slice(0, at), "-D", "-1", "--control", "fd:3,4", ...record.slice(at)];
  const child = spawn("perf", args, { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code, sig) => resolve(code ?? (sig ? 128 : null))));
  const ctl = child.stdio[3] as Writable;
  const ack = child.stdio[4] as Readable;
  let acks = 0;
  ack.on("data", (d: Buffer) => (acks += (d.toString().match(/ack/g) ?? []).length));
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`perf record exited ${child.exitCode}: ${err.slice(-500)}`);
    return /Events disabled/.test(err) ? true : undefined;
  }, 20_000, "perf record ready (events disabled)");
  const set = async (on: boolean) => {
    const want = acks + 1;
    ctl.write(on ? "enable\n" : "disable\n");
    await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`perf record exited ${child.exitCode}: ${err.slice(-500)}`);
      return acks >= want ? true : undefined;
    }, 5000, `perf ${on ? "enable" : "disable"} ack`);
  };
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGINT");
    await exited;
  };
  return { pid: child.pid as number, exited, stderr: () => err, set, stop };
}

interface DirectionRun {
  pairs: Pair[];
  /** perf.data bytes written over the run (all enabled phases). */
  dataBytes: number;
}

async function interleaved(topo: Topology, dir: Direction, o: ProfileBenchOptions, hz: number, file: string): Promise<DirectionRun> {
  const quartets = Math.floor((o.interleavedSeconds * 1000 - 2 * RAMP_MS) / (4 * PHASE_MS));
  const perf = await startPerf(file, o.interleavedSeconds + 30, hz, o.callGraph ?? PROFILE_CALL_GRAPH);
  const receiver = dir === "b_to_a" ? topo.a : topo.b;
  const client = startProcess(...nsCommand(topo.b, ["iperf3", "-c", topo.a.ip, "-p", String(IPERF_PORT), "-t", String(o.interleavedSeconds), ...(dir === "a_to_b" ? ["-R"] : [])]));
  // why: each phase takes a little more than PHASE_MS (the control pipe's ack, reading counters); over a long run that
  // adds up past iperf3's end, so a quartet starts only while iperf3 still has room for it and the closing ramp.
  const endsAt = performance.now() + o.interleavedSeconds * 1000 - RAMP_MS;
  const pairs: Pair[] = [];
  try {
    await sleep(RAMP_MS);
    for (let q = 0; q < quartets && performance.now() + 4 * PHASE_MS <= endsAt; q++) {
      const bps: { none: number[]; agents: number[] } = { none: [], agents: [] };
      const modes = q % 2 === 0 ? (["none", "agents", "agents", "none"] as const) : (["agents", "none", "none", "agents"] as const);
      for (const mode of modes) {
        if (client.child.exitCode !== null) throw new Error(`iperf3 ended before the phases did: ${client.stderr().slice(-300)}`);
        await perf.set(mode === "agents");
        await sleep(SETTLE_MS);
        const [t0, b0] = [performance.now(), receivedBytes(receiver)];
        await sleep(PHASE_MS - SETTLE_MS);
        const [t1, b1] = [performance.now(), receivedBytes(receiver)];
        bps[mode].push(((b1 - b0) * 8) / ((t1 - t0) / 1000));
      }
      pairs.push({ none: mean(bps.none), agents: mean(bps.agents) });
    }
    await perf.set(false);
  } finally {
    await client.kill("SIGTERM").catch(() => undefined);
    await perf.stop();
  }
  const dataBytes = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  if (dataBytes === 0) throw new Error(`perf record wrote nothing to ${file}: ${perf.stderr().slice(-500)}`);
  return { pairs, dataBytes };
}

export async function profileBench(o: ProfileBenchOptions): Promise<BenchOutcome> {
  if (!isRoot()) return { rows: [statusRow(PROFILE_BENCH, "skipped: needs root")], notes: [] };
  ensureBinaries([{ binary: "iperf3", pkg: "iperf3" }, { binary: "ip", pkg: "iproute2" }, { binary: "perf", pkg: "linux-perf" }], o.log);
  onCleanup(() => destroyTopology());
  const topo = createTopology();
  const dir = tempDir("bench-profile");
  onCleanup(() => dir.remove());
  const server = await startIperfServer(topo.a);
  onCleanup(() => server.kill("SIGTERM").then(() => undefined));
  const rows: Row[] = [];
  const spread: string[] = [];
  const rates = o.rates ?? [PROFILE_HZ];
  for (const hz of rates) for (const d of DIRECTIONS) {
    o.log(`${PROFILE_BENCH}: ${d}, ${hz} Hz, ${o.interleavedSeconds} s iperf3 with perf record enabled and disabled in ${PHASE_MS} ms ABBA phases`);
    const run = await interleaved(topo, d, o, hz, join(dir.path, `perf-${hz}-${d}.data`));
    const e = meanDifference(run.pairs);
    const label = d === "b_to_a" ? "b->a" : "a->b";
    rows.push({
      bench: PROFILE_BENCH,
      metric: `Gbit/s ${label}, perf cpu-clock ${hz} Hz${(o.callGraph ?? PROFILE_CALL_GRAPH) ? " -g" : ""} -a (${run.pairs.length} pairs)`,
      value: fmt(mean(run.pairs.map((p) => p.agents)) / 1e9, 2),
      reference: fmt(mean(run.pairs.map((p) => p.none)) / 1e9, 2),
      ratio: `${e.pct >= 0 ? "+" : ""}${fmt(e.pct, 2)}${Number.isFinite(e.sePct) ? ` ± ${fmt(e.sePct, 2)}` : ""} %`,
      target: `|diff| < ${MAX_DIFF_PCT} %`,
      result: judge(e, MAX_DIFF_PCT),
    });
    spread.push(`${hz} Hz ${label} [${differences(run.pairs).map((x) => `${x >= 0 ? "+" : ""}${fmt(x, 1)}`).join(", ")}] (perf.data ${fmt(run.dataBytes / 2 ** 20, 1)} MiB)`);
  }
  const notes = [
    `${PROFILE_BENCH}: the run's CPU profile as the agents record it (perf record -e cpu-clock -F ${rates.join("|")} -a${(o.callGraph ?? PROFILE_CALL_GRAPH) ? " -g" : ""} -k CLOCK_MONOTONIC --no-buildid; the run's own: ${PROFILE_HZ} Hz${PROFILE_CALL_GRAPH ? " -g" : ""}) against no profiling, in one ${o.interleavedSeconds} s iperf3 run per direction between namespaces ${topo.a.name} and ${topo.b.name}; ` +
      `perf runs throughout, its events enabled and disabled through its control pipe in ABBA phases of ${PHASE_MS} ms (a phase's throughput: the receiving veth's tx_bytes over its last ${PHASE_MS - SETTLE_MS} ms). Decoding (perf script) runs after the traffic in a real run and is not measured here. ` +
      `Ratio: mean of the per-pair differences (profiled - none) ± SE; ok = the interval ± 2 SE lies within ±${MAX_DIFF_PCT} %. Differences per pair, %: ${spread.join("; ")}.`,
  ];
  return { rows, notes };
}
