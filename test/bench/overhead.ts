// (a) Agent overhead: the agent (every sampler at 1 Hz, streaming to a
// collector in another process) and Debian's prometheus-node-exporter
// (scraped at 1 Hz by the bench, so it does its work as often) run side by
// side; CPU (utime+stime, plus waited-for children) and VmRSS of each over
// the same window: one after the warm-up, and a steady-state one after
// --steady-seconds of running (the agent's CPU settles over its first minutes).
// The agent's CPU per stored value divides its CPU by the field values the
// collector stored from it in the window (counted through the HTTP API).
import { freePort, startProcess, tempDir, waitFor } from "../helpers/procs.ts";
import { ensureBinaries, onCleanup } from "./host.ts";
import { clockTicksPerSecond, ProcessMeter, type ProcessUsage } from "./proc-stat.ts";
import { agentConfigFile, agentHighestSeq, startAgent, startCollector, waitForAgentData, type SamplerSetting } from "./stack.ts";
import { fmt, verdict, type BenchOutcome } from "./table.ts";

export interface OverheadOptions {
  seconds: number;
  warmupS: number;
  /** Seconds from the agent's first data to the steady-state window's start; 0 skips that window. */
  steadyS: number;
  log: (line: string) => void;
}

const AGENT_ID = "bench-overhead";
const MAX_CORE_PCT = 0.5;
const MAX_RATIO = 1.0;
const MAX_RSS_MIB = 64;
const MAX_US_PER_VALUE = 3;

// Every sampler at 1 Hz, netstate (10 s by default) and tcpinfo (idle without flows) included:
// tcpinfo watches iperf3's port, so it runs ss every tick as it would in a campaign.
const SAMPLERS_1HZ: Record<string, SamplerSetting> = {
  cpu: { intervalMs: 1000 },
  netdev: { intervalMs: 1000 },
  tcp: { intervalMs: 1000 },
  softirqs: { intervalMs: 1000 },
  softnet: { intervalMs: 1000 },
  tcpinfo: { intervalMs: 1000, options: { flows: [{ port: 5201 }] } },
  netstate: { intervalMs: 1000 },
};

interface Scrapes {
  ok: number;
  failed: number;
  bytes: number;
}

async function scrape(url: string, s: Scrapes): Promise<void> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(900) });
    const body = await res.text();
    if (res.ok) (s.ok++, (s.bytes += body.length));
    else s.failed++;
  } catch {
    s.failed++;
  }
}

/** Scrapes once a second on an absolute schedule for `seconds`; `each` runs after every scrape. */
async function tickFor(seconds: number, url: string, s: Scrapes, each: () => void): Promise<void> {
  const t0 = performance.now();
  for (let k = 0; k < seconds; k++) {
    await scrape(url, s);
    each();
    const wait = t0 + (k + 1) * 1000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

/** Field values the collector stored from the agent with times in [fromNs, toNs), summed over every measurement with an agent_id tag. */
async function storedValues(http: string, fromNs: bigint, toNs: bigint): Promise<number> {
  const { measurements } = (await (await fetch(`${http}/api/v1/measurements`)).json()) as { measurements: Array<{ name: string; tags: string[] }> };
  let n = 0;
  for (const m of measurements.filter((x) => x.tags.includes("agent_id"))) {
    const q = new URLSearchParams({ measurement: m.name, agent_id: AGENT_ID, from: String(fromNs), to: String(toNs - 1n), limit: "1000000" });
    const res = await fetch(`${http}/api/v1/series?${q}`);
    if (!res.ok) throw new Error(`GET /api/v1/series ${m.name}: HTTP ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { series: Array<{ columns: string[]; values: unknown[][] }> };
    for (const series of body.series) {
      const timeCol = series.columns.indexOf("time");
      for (const row of series.values) n += row.filter((v, i) => i !== timeCol && v !== null).length;
    }
  }
  return n;
}

interface Window {
  agent: ProcessUsage;
  exporter: ProcessUsage;
  scrapes: Scrapes;
  batches: number;
  values: number;
}

interface Running {
  http: string;
  agent: ReturnType<typeof startAgent>;
  exporter: ReturnType<typeof startProcess>;
  url: string;
}

/** One measured window of `seconds`: both processes' CPU and RSS, the agent's batches and values stored. */
async function measure(r: Running, seconds: number): Promise<Window> {
  const meters = { agent: new ProcessMeter(r.agent.pid), exporter: new ProcessMeter(r.exporter.pid) };
  const seqBefore = await agentHighestSeq(r.http, AGENT_ID);
  const scrapes: Scrapes = { ok: 0, failed: 0, bytes: 0 };
  const fromNs = BigInt(Date.now()) * 1_000_000n;
  meters.agent.start();
  meters.exporter.start();
  await tickFor(seconds, r.url, scrapes, () => (meters.agent.sample(), meters.exporter.sample()));
  const agent = meters.agent.finish();
  const exporter = meters.exporter.finish();
  const toNs = BigInt(Date.now()) * 1_000_000n;
  if (r.agent.child.exitCode !== null || r.exporter.child.exitCode !== null) throw new Error("agent or node_exporter exited during the window");
  const seqAfter = await agentHighestSeq(r.http, AGENT_ID);
  // why: samples of the window's last second may still be in batches the agent has not sent: count once two more are stored.
  await waitFor(async () => ((await agentHighestSeq(r.http, AGENT_ID)) >= seqAfter + 2 ? true : undefined), 15_000, "two batches after the window");
  if (seqAfter <= seqBefore) throw new Error(`the agent stored nothing during the window (seq ${seqBefore} -> ${seqAfter})`);
  return { agent, exporter, scrapes, batches: seqAfter - seqBefore, values: await storedValues(r.http, fromNs, toNs) };
}

export async function overheadBench(o: OverheadOptions): Promise<BenchOutcome> {
  const bins = ensureBinaries([{ binary: "prometheus-node-exporter", pkg: "prometheus-node-exporter" }], o.log);
  const dir = tempDir("bench-overhead");
  onCleanup(() => dir.remove());
  const col = await startCollector(dir.path);
  const config = agentConfigFile(dir.path, "agent-1hz", SAMPLERS_1HZ);
  const agent = startAgent({ id: AGENT_ID, collector: `127.0.0.1:${col.grpcPort}`, config, intervalMs: 1000 });
  const port = await freePort();
  const exporter = startProcess(bins["prometheus-node-exporter"] as string, [`--web.listen-address=127.0.0.1:${port}`]);
  const url = `http://127.0.0.1:${port}/metrics`;
  await waitForAgentData(col.http, AGENT_ID, agent);
  const t0 = performance.now();
  await waitFor(async () => ((await fetch(url)).ok ? true : undefined), 20_000, `node_exporter on ${url}`);

  o.log(`(a) overhead: agent pid ${agent.pid}, node_exporter pid ${exporter.pid}; ${o.warmupS} s warm-up, then ${o.seconds} s measured`);
  const idle: Scrapes = { ok: 0, failed: 0, bytes: 0 };
  await tickFor(o.warmupS, url, idle, () => undefined);
  const r: Running = { http: col.http, agent, exporter, url };
  const first = await measure(r, o.seconds);
  const out = outcome(first, o, `after ${o.warmupS} s`);
  if (o.steadyS > 0) {
    const left = Math.ceil(o.steadyS - (performance.now() - t0) / 1000);
    o.log(`(a) steady state: ${Math.max(0, left)} s more, then ${o.seconds} s measured`);
    if (left > 0) await tickFor(left, url, idle, () => undefined);
    const steady = outcome(await measure(r, o.seconds), o, `steady, after ${o.steadyS >= 120 ? `${fmt(o.steadyS / 60, 0)} min` : `${o.steadyS} s`}`);
    out.rows.push(...steady.rows);
    out.notes.push(...steady.notes);
  }
  return out;
}

function outcome(w: Window, o: OverheadOptions, when: string): BenchOutcome {
  const { agent: a, exporter: e, scrapes } = w;
  const perHour = (u: ProcessUsage) => (u.cpuS / u.windowS) * 3600;
  const corePct = (u: ProcessUsage) => (u.cpuS / u.windowS) * 100;
  const mib = (b: number) => b / 1024 / 1024;
  const ratio = a.cpuS / e.cpuS;
  const usPerValue = (a.cpuS * 1e6) / w.values;
  const row = { bench: `(a) overhead, ${when}` };
  return {
    rows: [
      { ...row, metric: "CPU s/hour", value: fmt(perHour(a), 1), reference: fmt(perHour(e), 1), ratio: fmt(ratio, 2), target: `ratio <= ${MAX_RATIO}`, result: verdict(ratio <= MAX_RATIO) },
      { ...row, metric: "% of one core", value: fmt(corePct(a), 3), reference: fmt(corePct(e), 3), ratio: fmt(ratio, 2), target: `agent < ${MAX_CORE_PCT} %`, result: verdict(corePct(a) < MAX_CORE_PCT) },
      { ...row, metric: "RSS MiB (mean)", value: fmt(mib(a.rssMeanBytes), 1), reference: fmt(mib(e.rssMeanBytes), 1), ratio: fmt(a.rssMeanBytes / e.rssMeanBytes, 2), target: `agent <= ${MAX_RSS_MIB}`, result: verdict(mib(a.rssMeanBytes) <= MAX_RSS_MIB) },
      { ...row, metric: "agent CPU us per stored value", value: fmt(usPerValue, 2), reference: "", ratio: "", target: `<= ${MAX_US_PER_VALUE}`, result: verdict(usPerValue <= MAX_US_PER_VALUE) },
    ],
    notes: [
      `(a) ${when}: eastwest = agent (7 samplers at 1 Hz incl. netstate and tcpinfo, streaming to a collector process, not counted); ` +
        `reference = prometheus-node-exporter (default collectors) scraped at 1 Hz by the bench. Window ${fmt(a.windowS, 1)} s; ` +
        `CPU = utime+stime+cutime+cstime deltas from /proc/<pid>/stat (USER_HZ ${clockTicksPerSecond()}), resolution ${fmt(1 / clockTicksPerSecond(), 2)} s.`,
      `(a) ${when}: agent ${fmt(a.cpuS, 2)} s CPU, of which ${fmt(a.childrenCpuS, 2)} s in its tool children (ethtool, tc, ss); ${w.batches} batches, ${fmt(w.values, 0)} values stored ` +
        `(${fmt(w.values / a.windowS, 0)} a second); RSS max ${fmt(mib(a.rssMaxBytes), 1)} MiB.`,
      `(a) ${when}: node_exporter ${fmt(e.cpuS, 2)} s CPU; ${scrapes.ok} scrapes ok, ${scrapes.failed} failed, ${fmt(scrapes.bytes / Math.max(1, scrapes.ok) / 1024, 0)} KiB each; ` +
        `RSS max ${fmt(mib(e.rssMaxBytes), 1)} MiB.`,
    ],
  };
}
