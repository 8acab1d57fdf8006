// The agent: samplers -> scheduler -> batcher -> outbox -> transport.
import { existsSync } from "node:fs";
import { atNormal, errorMessage, nowNs, VERSION, type Logger, type Sample, type SchedState } from "@eastwest/common";
import { Role, type Calibration, type Command, type CommandResult, type Hello } from "@eastwest/proto";
import type { AgentConfig } from "./config.ts";
import { identify, type Identity } from "./identity.ts";
import { chooseRole, detectVirtualization } from "./virt.ts";
import { Batcher } from "./runtime/batcher.ts";
import { realExec, type Exec } from "./runtime/exec.ts";
import { hostFs, type HostFs } from "./runtime/hostfs.ts";
import { Outbox } from "./runtime/outbox.ts";
import { Scheduler, type ScheduledSampler } from "./runtime/scheduler.ts";
import { openSpool } from "./runtime/spool-open.ts";
import type { Spool } from "./runtime/spool.ts";
import { SAMPLERS } from "./samplers/index.ts";
import { createTransport } from "./transport/index.ts";
import type { Transport } from "./transport/types.ts";
import type { CommandDeps } from "./actions/dispatch.ts";
import { compilePolicy, RefusalLog, type CommandPolicy } from "./actions/policy.ts";
import { defaultJournalDir, restoreAll, restorePending } from "./actions/settings/settings.action.ts";
import { LatestTable } from "./metrics/latest.ts";
import { startMetricsServer, type MetricsServer } from "./metrics/server.ts";

export const AGENT_VERSION = VERSION;

export interface AgentDeps {
  logger: Logger;
  exec?: Exec;
  calibrate?: () => Promise<Calibration | undefined>;
  /** The policy this process runs under now (`eastwest agent` applies config.scheduling after start, and its starvation guard may change it); default normal. */
  scheduling?: SchedState | (() => SchedState);
  /** Whether /dev/kvm exists, for `role: auto` (a VM with it may host VMs); default: looks. */
  hasKvm?: () => boolean;
}

/** The agent's default interval; a sampler whose own default is longer (netstate, 10 s) is slower by design. */
const STANDARD_INTERVAL_MS = 1000;

/**
 * A sampler's interval when its own is not configured: intervalMs (the flag or key, either way), except that a
 * sampler slower by design than the standard second is never made faster than its default by it.
 */
export function samplerInterval(intervalMs: number, samplerDefaultMs: number): number {
  return samplerDefaultMs > STANDARD_INTERVAL_MS ? Math.max(intervalMs, samplerDefaultMs) : intervalMs;
}

export class Agent {
  readonly config: AgentConfig;
  readonly outbox: Outbox;
  readonly #deps: AgentDeps;
  readonly #fs: HostFs;
  #identity: Identity | undefined;
  /** The role in effect: the configured one, or what `auto` found at start. */
  #role: "host" | "guest" = "host";
  #scheduler: Scheduler | undefined;
  #batcher: Batcher | undefined;
  #spool: Spool | undefined;
  #transport: Transport | undefined;
  #calibration: Calibration | undefined;
  #closed = false;
  /** Aborted on stop(): running commands (iperf3) end with the agent. */
  readonly #commands = new AbortController();
  /** What config.actions allows; refusals of it and of foreign collectors (NATS) are counted in #refusals. */
  readonly #policy: CommandPolicy;
  readonly #refusals = new RefusalLog();
  /** The newest sample per series, for GET /metrics (config.metrics.listen); undefined when off. */
  readonly #latest: LatestTable | undefined;
  #metrics: MetricsServer | undefined;

  constructor(config: AgentConfig, deps: AgentDeps) {
    this.config = config;
    this.#deps = deps;
    this.#fs = hostFs(config.procRoot, config.sysRoot);
    this.outbox = new Outbox(config.buffer.maxBatches, {
      agentId: config.id,
      journal: { append: (r) => void this.#spool?.append(r), settled: (mark) => this.#spool?.settle(mark), confirm: () => this.#spool?.confirm() },
    });
    this.#policy = compilePolicy(config.actions);
    this.#latest = config.metrics.listen === "" ? undefined : new LatestTable(config.metrics.maxSeries);
  }

  /** The port GET /metrics listens on, after start(); 0 when off. */
  get metricsPort(): number {
    return this.#metrics?.port ?? 0;
  }

  get transport(): Transport | undefined {
    return this.#transport;
  }

  get scheduling(): SchedState {
    const s = this.#deps.scheduling;
    return (typeof s === "function" ? s() : s) ?? { policy: "normal" };
  }

  get scheduler(): Scheduler | undefined {
    return this.#scheduler;
  }

  #samplers(): ScheduledSampler[] {
    const out: ScheduledSampler[] = [];
    const slower: string[] = [];
    for (const [name, factory] of Object.entries(SAMPLERS)) {
      const c = this.config.samplers[name];
      if (c && !c.enabled) continue;
      const sampler = factory();
      if (sampler.hostOnly && this.#role === "guest") continue;
      const intervalMs = c?.intervalMs ?? samplerInterval(this.config.intervalMs, sampler.defaultIntervalMs);
      if (c?.intervalMs === undefined && intervalMs > this.config.intervalMs) slower.push(`${name} ${intervalMs} ms`);
      out.push({ sampler, intervalMs, options: c?.options ?? {} });
    }
    // why: only when intervalMs was changed; at the standard second netstate's 10 s is what everyone expects.
    if (slower.length > 0 && this.config.intervalMs !== STANDARD_INTERVAL_MS)
      this.#deps.logger.info({ intervalMs: this.config.intervalMs, slower }, "samplers slower than intervalMs by design keep their own interval (set samplers.<name>.intervalMs to change one)");
    return out;
  }

  async start(): Promise<void> {
    const fs = this.#fs;
    const exec = this.#deps.exec ?? realExec;
    this.#identity = await identify(fs, exec);
    await this.#chooseRole();
    await restorePending(this.config.settingsJournalDir || defaultJournalDir(), { exec, fs, logger: this.#deps.logger });
    const baseTags = { agent_id: this.config.id, host: this.#identity.hostname, netns: this.#identity.netns };
    this.#batcher = new Batcher({ ...this.config.batch, emit: (points) => this.#enqueue(points) });
    const selfIntervalMs = this.config.selfIntervalMs;
    this.#scheduler = new Scheduler(this.#samplers(), { fs, exec, baseTags, logger: this.#deps.logger, emit: (p) => this.#emit(p), selfIntervalMs, hold: this.config.hold });
    await this.#scheduler.init();
    if (this.config.calibrate && this.#deps.calibrate) this.#calibration = await this.#deps.calibrate();
    this.#spool = openSpool(this.config, this.outbox, this.#deps.logger);
    this.#logActions();
    if (this.#latest) this.#metrics = await startMetricsServer({ config: this.config.metrics, table: this.#latest, agentId: this.config.id, logger: this.#deps.logger });
    this.#transport = await createTransport(this.config, { outbox: this.outbox, hello: () => this.hello(), logger: this.#deps.logger, onCommand: (cmd) => this.#onCommand(cmd), refusals: this.#refusals });
    this.#transport.start();
    // why: on the samplers' lane when they are as slow, so that it costs no wake-up of its own.
    this.#scheduler.every(Math.max(this.config.intervalMs, selfIntervalMs), () => this.#emit([this.#selfPoint()]));
    this.#scheduler.start();
  }

  /** The role in effect (host or guest). */
  get role(): "host" | "guest" {
    return this.#role;
  }

  async #chooseRole(): Promise<void> {
    const virt = await detectVirtualization(this.#fs);
    const choice = chooseRole(this.config.role, virt, this.#deps.hasKvm ? this.#deps.hasKvm() : existsSync("/dev/kvm"));
    this.#role = choice.role;
    const log = this.#deps.logger;
    log?.info({ role: choice.role, configured: this.config.role, hypervisor: virt.hypervisor || undefined, reason: choice.reason }, "agent role");
    const source = this.#identity?.machineUuidSource;
    if (choice.role === "guest" && source !== "dmi")
      log?.warn(
        { machineUuid: this.#identity?.machineUuid ?? "", source },
        "this guest has no DMI machine UUID (QEMU started without -uuid, or /sys/class/dmi/id/product_uuid unreadable: not root?): the collector cannot link it to its VM",
      );
  }

  #emit(points: Sample[]): void {
    this.#latest?.observe(points);
    this.#batcher?.add(points);
  }

  #enqueue(points: Sample[]): void {
    this.outbox.add(points, nowNs());
    this.#transport?.pump();
  }

  hello(): Hello {
    const id = this.#identity;
    return {
      agentId: this.config.id,
      role: this.#role === "guest" ? Role.ROLE_GUEST : Role.ROLE_HOST,
      hostname: id?.hostname ?? "",
      kernel: id?.kernel ?? "",
      machineUuid: id?.machineUuid ?? "",
      netns: id?.netns ?? "",
      capabilities: (this.#scheduler?.states() ?? []).map((s) => ({
        sampler: s.name,
        available: s.availability.available,
        reason: s.availability.available ? "" : s.availability.reason,
        intervalMs: s.intervalMs,
      })),
      agentVersion: AGENT_VERSION,
      calibration: this.#calibration,
      pid: process.pid,
      cpuModel: id?.cpuModel ?? "",
      toolVersions: id?.toolVersions ?? {},
      sessionId: "",
      clock: undefined,
    };
  }

  #selfPoint(): Sample {
    const st = this.outbox.stats();
    const cpu = process.cpuUsage();
    const hold = this.#scheduler?.holdState();
    return {
      measurement: "eastwest_agent",
      tags: { agent_id: this.config.id },
      fields: {
        buffered_batches: BigInt(st.bufferedBatches),
        buffered_points: BigInt(st.bufferedPoints),
        dropped_points_total: st.droppedPoints,
        dropped_batches_total: st.droppedBatches,
        resent_batches_total: st.resentBatches,
        rejected_batches_total: st.rejectedBatches,
        connected: this.#transport?.connected ?? false,
        rss_bytes: BigInt(process.memoryUsage.rss()),
        cpu_user_ns_total: BigInt(cpu.user) * 1000n,
        cpu_system_ns_total: BigInt(cpu.system) * 1000n,
        sched_idle: this.scheduling.policy === "idle",
        holding: hold?.holding ?? false,
        held_bytes: BigInt(hold?.heldBytes ?? 0),
        ...this.#spoolFields(),
        refused_commands_total: this.#refusals.total,
      },
      timeNs: nowNs(),
    };
  }

  async #onCommand(cmd: Command): Promise<CommandResult> {
    const { handleCommand } = await import("./actions/dispatch.ts");
    const { realRunTool } = await import("./actions/iperf3/iperf3.run.ts");
    const deps: CommandDeps = {
      policy: this.#policy,
      refusals: this.#refusals,
      scheduler: this.#scheduler,
      logger: this.#deps.logger,
      exec: this.#deps.exec ?? realExec,
      fs: this.#fs,
      signal: this.#commands.signal,
      // why: iperf3 makes the traffic being measured; under the agent's SCHED_IDLE it would get only leftover CPU.
      runTool: atNormal(() => this.scheduling, realRunTool),
      calibrate: async () => {
        this.#calibration = await this.#deps.calibrate?.();
        return this.#calibration;
      },
    };
    return handleCommand(cmd, deps);
  }

  /** Says at start what collectors may make this agent do beyond monitoring. */
  #logActions(): void {
    const a = this.config.actions;
    const allowed = [a.traffic && "traffic", a.hold && "hold", a.calibrate && "calibrate", ...a.settings.map((r) => `settings ${r.kind} ${(r.interfaces ?? r.keys ?? []).join(" ")}`)].filter(Boolean);
    const nats = this.config.collector.transport === "nats" ? { natsCollectors: this.config.nats.collectors } : {};
    if (allowed.length === 0) this.#deps.logger.info({ minIntervalMs: a.minIntervalMs, ...nats }, "actions: monitor-only (no command that changes the host or makes load is allowed)");
    else this.#deps.logger.warn({ allowed, minIntervalMs: a.minIntervalMs, ...nats }, "actions: collectors may command this agent beyond monitoring");
  }

  /** Stops sampling, flushes, waits up to drainMs for acks, closes. Safe twice. */
  async stop(drainMs = 2000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#commands.abort(new Error("agent stopping"));
    await restoreAll({ exec: this.#deps.exec ?? realExec, fs: this.#fs, logger: this.#deps.logger });
    await this.#scheduler?.stop();
    await this.#metrics?.close();
    this.#batcher?.close();
    if (this.#transport && this.#transport.connected) await this.#transport.drain(drainMs);
    await this.#transport?.close();
    this.#closeSpool();
  }

  #spoolFields(): Sample["fields"] {
    const s = this.#spool?.stats();
    return {
      spool_writable: s?.writable ?? false,
      spool_bytes: BigInt(s?.bytes ?? 0),
      spool_dropped_batches_total: s?.droppedBatches ?? 0n,
      spool_write_errors_total: s?.writeErrors ?? 0n,
      spool_truncated_bytes_total: s?.truncatedBytes ?? 0n,
    };
  }

  /** What the collector has not acked stays in the spool for the next start (already there: written when made). */
  #closeSpool(): void {
    const unacked = this.outbox.size();
    const writable = this.#spool?.writable ?? false;
    this.#spool?.close();
    if (unacked === 0) return;
    if (writable) this.#deps.logger.warn({ batches: unacked }, "unacked batches stay in the spool for the next start");
    else this.#deps.logger.error({ batches: unacked }, "unacked batches lost: the spool was unwritable");
  }
}
