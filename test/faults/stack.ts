// The processes of one fault scenario: a collector on fixed loopback ports (so that it can be SIGKILLed and
// started again on the same store and address), agents at 10 Hz with their spools under the scenario's temp dir,
// and a watch over every process the scenario did not mean to stop.
//
// Contract: every process is started through test/helpers/procs.ts (argument arrays, killed by pid); `watch`
// records an exit nobody asked for ("up" in the table); close() kills what is left and removes the temp dir,
// safe twice. Agents run at SCHED_OTHER (scheduling: normal) so that a busy host slows them less, and with
// `spool.fsync: always` unless told otherwise: the kill scenarios target 0 missing with no fsync window.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, jsonLine, start, tempDir, type Proc } from "../helpers/procs.ts";
import { onCleanup } from "../bench/host.ts";
import type { Api } from "./count.ts";

/** Exits nobody asked for, by process name. */
export class Watch {
  readonly #planned = new Set<Proc>();
  readonly unplanned: string[] = [];

  add(name: string, p: Proc): Proc {
    void p.exited.then((code) => {
      if (!this.#planned.has(p)) this.unplanned.push(`${name} (pid ${p.pid}) exited ${code}: ${lastLine(p.stderr())}`);
    });
    return p;
  }

  /** Stops `p` on purpose; resolves its exit code. */
  stop(p: Proc, signal: NodeJS.Signals): Promise<number | null> {
    this.#planned.add(p);
    return p.kill(signal);
  }

  /** The table's "up" cell. */
  cell(): string {
    return this.unplanned.length === 0 ? "yes" : `no: ${this.unplanned.map((u) => u.split(" (")[0]).join(", ")}`;
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.slice(0, 300) ?? "";
}

export interface AgentSpec {
  /** gRPC address (host:port) of the collector; ignored with transport nats. */
  address?: string;
  transport?: "grpc" | "nats";
  natsUrl?: string;
  fsync?: "always" | "interval" | "never";
  /** Extra flags (e.g. TLS files). */
  args?: string[];
}

const TEN_HZ = ["cpu", "netdev", "tcp", "softirqs", "softnet"];

/** cpu, netdev, tcp, softirqs and softnet at 100 ms (role guest: no host samplers); a batch about every tick. */
export function agentConfigJson(id: string, s: AgentSpec): Record<string, unknown> {
  const collector: Record<string, unknown> = { transport: s.transport ?? "grpc", backoffMinMs: 50, backoffMaxMs: 500 };
  if (s.address !== undefined) collector["address"] = s.address;
  const agent: Record<string, unknown> = {
    id,
    role: "guest",
    intervalMs: 100,
    scheduling: "normal",
    collector,
    batch: { maxPoints: 500, maxDelayMs: 50 },
    spool: { fsync: s.fsync ?? "always" },
    samplers: { ...Object.fromEntries(TEN_HZ.map((n) => [n, { intervalMs: 100 }])), tcpinfo: { enabled: false }, netstate: { enabled: false }, pmu: { enabled: false } },
  };
  if (s.natsUrl !== undefined) agent["nats"] = { servers: [s.natsUrl], site: "faults" };
  return { agent };
}

export interface CollectorSpec {
  /** Merged into the "collector:" section of its config file. */
  config?: Record<string, unknown>;
  args?: string[];
  /** The store file (default <dir>/collector/store.db); its directory also holds the local API token. */
  storePath?: string;
}

export class FaultStack {
  readonly name: string;
  readonly dir: string;
  readonly spoolDir: string;
  readonly watch = new Watch();
  readonly agents = new Map<string, Proc>();
  collector: Proc | undefined;
  grpcPort = 0;
  httpPort = 0;
  #spec: CollectorSpec = {};
  #remove: () => Promise<void>;
  #closed = false;

  constructor(name: string) {
    this.name = name;
    const d = tempDir(`faults-${name}`);
    this.dir = d.path;
    this.spoolDir = join(d.path, "spool");
    this.#remove = onCleanup(async () => {
      for (const p of [...this.agents.values(), this.collector]) if (p) await this.watch.stop(p, "SIGKILL");
      d.remove();
    });
  }

  get storePath(): string {
    return this.#spec.storePath ?? join(this.dir, "collector", "store.db");
  }

  get address(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  get api(): Api {
    return { http: `http://127.0.0.1:${this.httpPort}`, tokenFile: join(this.storePath, "..", "api-token") };
  }

  /** Starts the collector (again, after a kill: same ports, store and config); resolves once it listens. */
  async startCollector(spec?: CollectorSpec): Promise<Proc> {
    if (spec !== undefined) this.#spec = spec;
    if (this.grpcPort === 0) [this.grpcPort, this.httpPort] = [await freePort(), await freePort()];
    const file = join(this.dir, "collector.json");
    const config = { logLevel: "warn", ...this.#spec.config, store: { path: this.storePath, ...(this.#spec.config?.["store"] as object | undefined) } };
    writeFileSync(file, JSON.stringify({ collector: config }));
    const args = ["collector", "--config", file, "--grpc-port", String(this.grpcPort), "--http-port", String(this.httpPort), ...(this.#spec.args ?? [])];
    const p = this.watch.add("collector", start(args));
    this.collector = p;
    await jsonLine(p, 30_000);
    return p;
  }

  /** SIGKILLs the collector on purpose. */
  async killCollector(): Promise<void> {
    if (this.collector) await this.watch.stop(this.collector, "SIGKILL");
  }

  /** Starts agent `id` (again: same id, config and spool dir). */
  startAgent(id: string, spec: AgentSpec = {}): Proc {
    const file = join(this.dir, `agent-${id}.json`);
    writeFileSync(file, JSON.stringify(agentConfigJson(id, { address: this.address, ...spec })));
    const p = this.watch.add(`agent ${id}`, start(["agent", "--config", file, "--log-level", "warn", ...(spec.args ?? [])], { env: { EASTWEST_SPOOL_DIR: this.spoolDir } }));
    this.agents.set(id, p);
    return p;
  }

  /** Stops an agent on purpose (SIGTERM: it drains up to 2 s, keeps the rest in its spool); resolves its exit code. */
  stopAgent(id: string, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    const p = this.agents.get(id);
    return p ? this.watch.stop(p, signal) : Promise.resolve(null);
  }

  /** Kills every process left and removes the temp dir; safe twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#remove();
  }
}
