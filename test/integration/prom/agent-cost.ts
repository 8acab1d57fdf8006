// Figures, not a test: the CPU an agent with --metrics-listen uses without scrapes and with a scrape every 15 s
// (Prometheus's usual interval), in alternating windows so that machine load drifts evenly over both; plus the
// time and size of one scrape. Reads the agent's utime + stime from /proc/<pid>/stat.
// A burst of back-to-back scrapes then gives the CPU of one scrape, above the agent's idle rate.
//   cd test && node integration/prom/agent-cost.ts [windowS] [rounds]     (default 60 2)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, jsonLine, killAll, start, tempDir, waitFor } from "../../helpers/procs.ts";

const windowS = Number(process.argv[2] ?? 60);
const rounds = Number(process.argv[3] ?? 2);
const dir = tempDir("prom-cost");
const ticks = 100; // USER_HZ

function cpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / ticks;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

try {
  const collector = start(["collector", "--grpc-port", "0", "--http-port", "0", "--data", join(dir.path, "c.db"), "--log-level", "warn"]);
  const ports = await jsonLine<{ grpc_port: number; http_port: number }>(collector);
  const listen = `127.0.0.1:${await freePort()}`;
  const agent = start(["agent", "--id", `cost-${process.pid}`, "--collector", `127.0.0.1:${ports.grpc_port}`, "--metrics-listen", listen, "--log-level", "warn"]);
  await waitFor(async () => ((await fetch(`http://${listen}/metrics`)).ok ? true : undefined), 60_000, "agent /metrics");
  await sleep(10_000);
  const without: number[] = [];
  const withScrapes: number[] = [];
  let scrapeMs: number[] = [];
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    let c0 = cpuS(agent.pid);
    await sleep(windowS * 1000);
    without.push(cpuS(agent.pid) - c0);
    c0 = cpuS(agent.pid);
    const end = Date.now() + windowS * 1000;
    while (Date.now() < end) {
      const t0 = performance.now();
      const body = await (await fetch(`http://${listen}/metrics`)).text();
      scrapeMs.push(performance.now() - t0);
      bytes = Buffer.byteLength(body);
      await sleep(Math.min(15_000, end - Date.now()));
    }
    withScrapes.push(cpuS(agent.pid) - c0);
  }
  // A burst of back-to-back scrapes: their CPU above the idle rate, per scrape.
  const burst = 50;
  const b0 = cpuS(agent.pid);
  const t0 = performance.now();
  let text = "";
  for (let i = 0; i < burst; i++) text = await (await fetch(`http://${listen}/metrics`)).text();
  const burstS = (performance.now() - t0) / 1000;
  const idleRate = without.reduce((x, y) => x + y, 0) / (rounds * windowS);
  const perScrapeS = (cpuS(agent.pid) - b0 - idleRate * burstS) / burst;
  const series = /^eastwest_metrics_series\{[^}]*\} (\d+)$/m.exec(text)?.[1];
  console.log(`burst: ${burst} scrapes of ${series} series in ${burstS.toFixed(1)} s; CPU per scrape ${(perScrapeS * 1000).toFixed(1)} ms, i.e. ${((perScrapeS / 15) * 100).toFixed(3)} % of a core at one scrape per 15 s`);
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  scrapeMs = scrapeMs.sort((a, b) => a - b);
  const a = sum(without) / (rounds * windowS);
  const b = sum(withScrapes) / (rounds * windowS);
  console.log(`agent CPU without scrapes: ${(a * 100).toFixed(3)} % of a core; with a scrape every 15 s: ${(b * 100).toFixed(3)} %; ratio ${(b / a).toFixed(3)} (${rounds} x ${windowS} s each)`);
  console.log(`one scrape: ${bytes} bytes, median ${scrapeMs[Math.floor(scrapeMs.length / 2)]?.toFixed(1)} ms over ${scrapeMs.length} scrapes`);
} finally {
  await killAll();
  dir.remove();
}
