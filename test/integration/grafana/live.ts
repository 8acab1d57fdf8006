// A live stack for the dashboards' tests: a collector, a host-role agent (with a KVM guest up, so its vm sampler
// reports one, and netstate every second on a bridge of this test) and a guest-role agent, a real
// Prometheus scraping the collector's /metrics every second, a live iperf3 run between the agents on loopback,
// and an MTU change on that bridge. Everything carries a tag of this process and is removed by stop().
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, jsonLine, requireBinary, RUN_ACTIONS, start, startProcess, tempDir, waitFor, type Proc } from "../../helpers/procs.ts";

export const SCRAPE_S = 1;

export interface LiveRun {
  id: string;
  startedMs: number;
  finishedMs: number;
  /** The run's diagnosis summary and each rule's verdict, as `eastwest run --json` printed them (for failure messages). */
  diagnosis: string;
  /** Its findings with the verdict bottleneck or contributing (-1: none could be read). */
  flagged: number;
}

export interface Live {
  dir: string;
  db: string;
  promBase: string;
  tag: string;
  server: string;
  client: string;
  guest: string;
  bridge: string;
  run: LiveRun;
  /** Unix seconds: the first and last scrape the tests query. */
  fromS: number;
  toS: number;
  /** Stops the collector (its store is then readable), keeps nothing else needed. */
  stopCollector(): Promise<void>;
  stop(): Promise<void>;
}

function ip(args: string[]): void {
  const r = spawnSync(requireBinary("ip"), args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
}

export async function promQuery(base: string, path: string, params: Record<string, string>): Promise<{ status: string; error?: string; data: { resultType?: string; result: Array<{ metric: Record<string, string>; value?: [number, string]; values?: Array<[number, string]> }> } }> {
  const res = await fetch(`${base}${path}?${new URLSearchParams(params)}`);
  return (await res.json()) as never;
}

export async function startLive(): Promise<Live> {
  for (const b of ["prometheus", "qemu-system-x86_64", "iperf3", "ethtool", "tc"]) requireBinary(b);
  if (!existsSync("/dev/kvm")) throw new Error("this test needs /dev/kvm (a KVM guest for the VM panels)");
  const tag = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  const dir = tempDir(`grafana-live-${tag}`);
  const procs: Proc[] = [];
  const bridge = `ewp${tag}`.slice(0, 15);
  let linked = false;
  let collector: Proc | undefined;
  const stop = async () => {
    for (const p of procs.reverse()) await p.kill("SIGTERM");
    if (linked) spawnSync(requireBinary("ip"), ["link", "del", bridge]);
    linked = false;
    dir.remove();
  };
  try {
    ip(["link", "add", bridge, "type", "bridge"]);
    linked = true;
    ip(["link", "set", bridge, "up"]);
    const guest = `ewt-gl-${tag}`;
    const sock = join(dir.path, "qmp.sock");
    procs.push(startProcess(requireBinary("qemu-system-x86_64"), ["-accel", "kvm", "-m", "64", "-smp", "2", "-nographic", "-nodefaults", "-no-user-config", "-display", "none", "-name", `guest=${guest},debug-threads=on`, "-qmp", `unix:${sock},server=on,wait=off`]));
    await waitFor(() => (existsSync(sock) ? true : undefined), 20_000, "the guest's QMP socket");
    const db = join(dir.path, "c.db");
    collector = start(["collector", "--grpc-port", "0", "--http-port", "0", "--data", db, "--log-level", "warn"]);
    procs.push(collector);
    const ports = await jsonLine<{ grpc_port: number; http_port: number }>(collector);
    const api = `http://127.0.0.1:${ports.http_port}`;
    const [server, client] = [`ewt-gl-${tag}-srv`, `ewt-gl-${tag}-cli`];
    const samplers = JSON.stringify({ netstate: { intervalMs: 1000, options: { interfaces: [bridge, "lo"] } } });
    const agent = (id: string, role: string, env: Record<string, string> = {}) =>
      procs.push(start(["agent", "--id", id, "--role", role, "--collector", `127.0.0.1:${ports.grpc_port}`, "--log-level", "warn", ...RUN_ACTIONS], { env }));
    agent(server, "host", { EASTWEST_AGENT_SAMPLERS: samplers });
    agent(client, "guest");
    const promPort = await freePort();
    const promBase = `http://127.0.0.1:${promPort}`;
    const config = join(dir.path, "prometheus.yml");
    writeFileSync(config, [`global: { scrape_interval: ${SCRAPE_S}s, scrape_timeout: ${SCRAPE_S}s, evaluation_interval: ${SCRAPE_S}s }`, "scrape_configs:", "  - job_name: eastwest", `    static_configs: [{ targets: ["127.0.0.1:${ports.http_port}"] }]`, ""].join("\n"));
    const prom = startProcess(requireBinary("prometheus"), [`--config.file=${config}`, `--storage.tsdb.path=${join(dir.path, "tsdb")}`, `--web.listen-address=127.0.0.1:${promPort}`, "--log.level=warn"]);
    procs.push(prom);
    const fromS = Math.floor(Date.now() / 1000);
    const has = async (q: string) => ((await promQuery(promBase, "/api/v1/query", { query: q })).data?.result?.length ?? 0) > 0;
    await waitFor(async () => ((await fetch(`${promBase}/-/ready`).catch(() => undefined))?.ok ? true : undefined), 60_000, "prometheus ready");
    for (const q of [`eastwest_vm_kvm_exits_total{vm="${guest}"}`, `eastwest_netstate_mtu_bytes{interface="${bridge}"}`, `eastwest_cpu_busy_ratio{agent_id="${client}"}`]) {
      await waitFor(async () => ((await has(q)) ? true : undefined), 90_000, `${q} scraped`);
    }
    await new Promise((r) => setTimeout(r, 5000));
    ip(["link", "set", "dev", bridge, "mtu", "1400"]);
    await waitFor(async () => ((await has(`eastwest_netstate_mtu_bytes{interface="${bridge}"} == 1400`)) ? true : undefined), 30_000, "the MTU change scraped");
    const port = await freePort();
    const runProc = start(["run", "--api", api, "--token-file", join(dir.path, "api-token"), "--server", server, "--client", client, "--server-address", "127.0.0.1", "--port", String(port), "--duration-s", "5", "--live", "--json"]);
    const code = await runProc.exited;
    if (code !== 0) throw new Error(`eastwest run exited ${code}: ${runProc.stderr().slice(-2000)}`);
    const out = runProc.stdout();
    const field = (k: string) => Number(new RegExp(`"${k}":\\s*"?(\\d+)`).exec(out)?.[1] ?? NaN);
    const run = { id: /"id":\s*"([0-9a-f-]{36})"/.exec(out)?.[1] ?? "", startedMs: field("startedNs") / 1e6, finishedMs: field("finishedNs") / 1e6, ...diagnosisOf(out) };
    if (run.id === "" || !Number.isFinite(run.startedMs)) throw new Error(`run record not understood: ${out.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 6000));
    const toS = Math.floor(Date.now() / 1000);
    return {
      dir: dir.path, db, promBase, tag, server, client, guest, bridge, run, fromS, toS, stop,
      stopCollector: async () => void (await collector?.kill("SIGTERM")),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The run record's diagnosis in `eastwest run --json` output: "summary; rule verdict, ..." and how many findings are flagged. */
function diagnosisOf(out: string): { diagnosis: string; flagged: number } {
  try {
    const d = (JSON.parse(out) as { diagnosis?: { summary?: string; findings?: Array<{ rule?: string; verdict?: string }> } }).diagnosis;
    if (d === undefined) return { diagnosis: "no diagnosis in the run record", flagged: -1 };
    const findings = d.findings ?? [];
    return { diagnosis: `${d.summary ?? ""}; ${findings.map((f) => `${f.rule} ${f.verdict}`).join(", ")}`, flagged: findings.filter((f) => f.verdict === "bottleneck" || f.verdict === "contributing").length };
  } catch (err) {
    return { diagnosis: `run output not JSON: ${String(err)}`, flagged: -1 };
  }
}
