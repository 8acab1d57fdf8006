// (a) Agent overhead: the agent (every sampler at 1 Hz, streaming to a
// collector in another process) and Debian's prometheus-node-exporter
// (scraped at 1 Hz by the bench, so it does its work as often) run side by
// side; CPU (utime+stime, plus waited-for children) and VmRSS of each over
// the same window.
import { freePort, startProcess, tempDir, waitFor } from "../helpers/procs.ts";
import { ensureBinaries, onCleanup } from "./host.ts";
import { clockTicksPerSecond, ProcessMeter, type ProcessUsage } from "./proc-stat.ts";
import { agentConfigFile, agentHighestSeq, startAgent, startCollector, waitForAgentData, type SamplerSetting } from "./stack.ts";
import { fmt, verdict, type BenchOutcome } from "./table.ts";

export interface OverheadOptions {
  seconds: number;
  warmupS: number;
  log: (line: string) => void;
}

const AGENT_ID = "bench-overhead";
const MAX_CORE_PCT = 0.5;
const MAX_RATIO = 1.0;

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
  await waitFor(async () => ((await fetch(url)).ok ? true : undefined), 20_000, `node_exporter on ${url}`);

  o.log(`(a) overhead: agent pid ${agent.pid}, node_exporter pid ${exporter.pid}; ${o.warmupS} s warm-up, then ${o.seconds} s measured`);
  const warm: Scrapes = { ok: 0, failed: 0, bytes: 0 };
  await tickFor(o.warmupS, url, warm, () => undefined);
  const meters = { agent: new ProcessMeter(agent.pid), exporter: new ProcessMeter(exporter.pid) };
  const seqBefore = await agentHighestSeq(col.http, AGENT_ID);
  const scrapes: Scrapes = { ok: 0, failed: 0, bytes: 0 };
  meters.agent.start();
  meters.exporter.start();
  await tickFor(o.seconds, url, scrapes, () => (meters.agent.sample(), meters.exporter.sample()));
  const a = meters.agent.finish();
  const e = meters.exporter.finish();
  const seqAfter = await agentHighestSeq(col.http, AGENT_ID);
  if (agent.child.exitCode !== null || exporter.child.exitCode !== null) throw new Error("agent or node_exporter exited during the window");
  if (seqAfter <= seqBefore) throw new Error(`the agent stored nothing during the window (seq ${seqBefore} -> ${seqAfter})`);
  return outcome(a, e, scrapes, seqAfter - seqBefore, o);
}

function outcome(a: ProcessUsage, e: ProcessUsage, scrapes: Scrapes, batches: number, o: OverheadOptions): BenchOutcome {
  const perHour = (u: ProcessUsage) => (u.cpuS / u.windowS) * 3600;
  const corePct = (u: ProcessUsage) => (u.cpuS / u.windowS) * 100;
  const mib = (b: number) => b / 1024 / 1024;
  const ratio = a.cpuS / e.cpuS;
  const row = { bench: "(a) overhead" };
  return {
    rows: [
      { ...row, metric: "CPU s/hour", value: fmt(perHour(a), 1), reference: fmt(perHour(e), 1), ratio: fmt(ratio, 2), target: `ratio <= ${MAX_RATIO}`, result: verdict(ratio <= MAX_RATIO) },
      { ...row, metric: "% of one core", value: fmt(corePct(a), 3), reference: fmt(corePct(e), 3), ratio: fmt(ratio, 2), target: `agent < ${MAX_CORE_PCT} %`, result: verdict(corePct(a) < MAX_CORE_PCT) },
      { ...row, metric: "RSS MiB (mean)", value: fmt(mib(a.rssMeanBytes), 1), reference: fmt(mib(e.rssMeanBytes), 1), ratio: fmt(a.rssMeanBytes / e.rssMeanBytes, 2), target: "-", result: "-" },
    ],
    notes: [
      `(a) eastwest = agent (7 samplers at 1 Hz incl. netstate and tcpinfo, streaming to a collector process, not counted); ` +
        `reference = prometheus-node-exporter (default collectors) scraped at 1 Hz by the bench. Window ${fmt(a.windowS, 1)} s after ${o.warmupS} s warm-up; ` +
        `CPU = utime+stime+cutime+cstime deltas from /proc/<pid>/stat (USER_HZ ${clockTicksPerSecond()}), resolution ${fmt(1 / clockTicksPerSecond(), 2)} s.`,
      `(a) agent: ${fmt(a.cpuS, 2)} s CPU, of which ${fmt(a.childrenCpuS, 2)} s in its tool children (ethtool, tc, ss); ${batches} batches stored; ` +
        `RSS max ${fmt(mib(a.rssMaxBytes), 1)} MiB.`,
      `(a) node_exporter: ${fmt(e.cpuS, 2)} s CPU; ${scrapes.ok} scrapes ok, ${scrapes.failed} failed, ${fmt(scrapes.bytes / Math.max(1, scrapes.ok) / 1024, 0)} KiB each; ` +
        `RSS max ${fmt(mib(e.rssMaxBytes), 1)} MiB.`,
    ],
  };
}
