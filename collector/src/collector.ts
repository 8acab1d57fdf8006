// The collector: receivers (ingest/receivers.ts: gRPC, and NATS JetStream
// when nats.enabled) -> decode -> validate -> store -> ack; agent registry,
// command sessions and holds (control/); retention; HTTP JSON API;
// self-telemetry over OTLP when config.otlp.endpoint is set; push sinks (sink/) that
// forward every stored point from the store's log, never holding up ingest or acks.
// start()/stop(); stop is safe twice and closes what a failed start opened.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { nowNs, telemetryOptions, ThrottledLog, type Logger } from "@eastwest/common";
import { startTelemetry, type Telemetry } from "@eastwest/common/telemetry";
import type { Hello } from "@eastwest/proto";
import type { CollectorConfig } from "./config.ts";
import { GrpcReceiver } from "./ingest/grpc.ts";
import { Ingestor } from "./ingest/ingestor.ts";
import { SeqGuard } from "./ingest/seq-guard.ts";
import { NatsReceiver } from "./ingest/nats.ts";
import type { Receiver, ReceiverDeps } from "./ingest/receiver.ts";
import { createReceivers } from "./ingest/receivers.ts";
import { Sessions } from "./control/sessions.ts";
import { holdAgent } from "./control/hold.ts";
import { newStats, type PipelineStats } from "./ingest/stats.ts";
import { observePipeline } from "./ingest/metrics.ts";
import { SelfReporter } from "./ingest/self-report.ts";
import { StallWatch } from "./ingest/stalls.ts";
import { Registry } from "./control/registry.ts";
import { Clocks, withClocks } from "./clock/clocks.ts";
import { startHttpApi, type HttpApi } from "./http/server.ts";
import { authFromConfig } from "./http/guard.ts";
import { createStore } from "./store/index.ts";
import { Compaction, NO_FLOOR } from "./maintenance/compaction.ts";
import { Retention } from "./maintenance/retention.ts";
import { Sinks } from "./sink/index.ts";
import type { Store } from "./store/types.ts";
import { PAPER_CONSTANTS, type ModelConstants } from "./model/cost-model.ts";
import { executeRun, type RunRecord } from "./run/runner.ts";
import { parseHoldRequest, parseRunRequest } from "./run/spec.ts";
import { CampaignManager } from "./campaign/manager.ts";
import type { RunSpec } from "./run/types.ts";

export class Collector {
  readonly config: CollectorConfig;
  readonly logger: Logger;
  readonly store: Store;
  readonly registry: Registry;
  /** Every agent's clock offset estimate (clock/). */
  readonly clocks: Clocks;
  readonly sessions = new Sessions();
  readonly stats: PipelineStats = newStats();
  readonly ingestor: Ingestor;
  /** Sessions (epochs) and seq bounds of agents' batches. */
  readonly guard: SeqGuard;
  /** Cost-model constants used to explain runs. */
  constants: ModelConstants = PAPER_CONSTANTS;
  readonly campaigns: CampaignManager;
  /** The enabled receivers, after start(). */
  #receivers: Receiver[] = [];
  #http: HttpApi | undefined;
  #localTokenFile: string | undefined;
  #telemetry: Telemetry | undefined;
  readonly #retention: Retention;
  readonly #compaction: Compaction;
  #stopped = false;
  #stopStep = "";
  /** One rate limit for every line a peer can cause. */
  readonly #log: ThrottledLog;
  #self: SelfReporter | undefined;
  readonly #stalls = new StallWatch();
  /** Push sinks (config.sinks): they read what the store holds; ingest never waits on them. */
  readonly sinks: Sinks;

  constructor(config: CollectorConfig, logger: Logger, store?: Store) {
    this.config = config;
    this.logger = logger;
    this.#log = new ThrottledLog(logger);
    if (!store) mkdirSync(dirname(config.store.path), { recursive: true });
    this.store = store ?? createStore(config.store, logger);
    this.registry = new Registry(this.store, { logger, maxAgents: config.limits.maxAgents });
    this.clocks = new Clocks(config.id, { log: this.#log });
    this.#retention = new Retention({
      store: this.store,
      days: config.store.retentionDays,
      rollupDays: config.store.rollupRetentionDays,
      logger,
      onPruned: (r) => (this.stats.pointsPruned += BigInt(r.points)),
    });
    this.sinks = new Sinks({ configs: config.sinks, store: this.store, tlog: this.#log });
    this.#compaction = new Compaction({
      store: this.store,
      logger,
      floor: async () => (await this.sinks.floor()) ?? NO_FLOOR,
      onCompacted: (r) => (this.stats.pointsCompacted += BigInt(r.points)),
    });
    this.campaigns = new CampaignManager({ sessions: this.sessions, store: this.store, logger, constants: () => this.constants, clocks: this.clocks });
    this.guard = new SeqGuard({ ledger: this.store, maxSeqAhead: BigInt(config.limits.maxSeqAhead), logger });
    this.ingestor = new Ingestor({
      store: this.store,
      logger,
      stats: this.stats,
      guard: this.guard,
      onStored: (agentId, seq) => this.registry.onBatch(agentId, seq, nowNs()),
      limits: config.limits,
      admitAgent: (agentId) => this.registry.admits(agentId),
      log: this.#log,
      stalls: this.#stalls,
      maxQueuedPoints: config.maxQueuedPoints,
      maxGroupPoints: config.maxGroupPoints,
    });
  }

  /** The gRPC receiver's bound port, after start(); 0 before. */
  get grpcPort(): number {
    return this.#receivers.find((r) => r instanceof GrpcReceiver)?.port ?? 0;
  }

  /** The NATS receiver when nats.enabled, after start(). */
  get nats(): NatsReceiver | undefined {
    return this.#receivers.find((r) => r instanceof NatsReceiver);
  }

  get httpPort(): number {
    return this.#http?.port ?? 0;
  }

  /** The local CLI's write token file (http.localToken), after start(); undefined when there is none. */
  get localTokenFile(): string | undefined {
    return this.#localTokenFile;
  }

  async start(): Promise<void> {
    // why: first, so that a bad token file stops the start (exit 78) before anything listens.
    const { auth, localTokenFile } = authFromConfig(this.config.http, this.config.store.path, this.logger);
    this.#localTokenFile = localTokenFile;
    try {
      await this.#start(auth);
    } catch (err) {
      // why: a start that failed half-way (a port in use) must not leave a listener or timer keeping the process.
      await this.stop().catch(() => undefined);
      throw err;
    }
  }

  async #start(auth: ReturnType<typeof authFromConfig>["auth"]): Promise<void> {
    await this.store.open();
    this.#retention.start();
    this.#self = new SelfReporter({ store: this.store, stats: this.stats, collectorId: this.config.id, intervalMs: this.config.selfIntervalMs, logger: this.logger, suppressed: () => this.#log.suppressed, stalls: this.#stalls, more: (t) => this.sinks.points(this.config.id, t) });
    this.#stalls.start();
    this.#self.start();
    await this.sinks.start();
    this.#compaction.start();
    this.#receivers = createReceivers(this.config, this.#receiverDeps());
    for (const r of this.#receivers) await r.start();
    this.#http = await startHttpApi({
      store: this.store,
      registry: withClocks(this.registry, this.clocks),
      host: this.config.http.host,
      port: this.config.http.port,
      logger: this.logger,
      auth,
      limits: this.config.http,
      log: this.#log,
      prometheus: this.config.prometheus,
      collectorId: this.config.id,
      actions: { run: (body) => this.run(parseRunRequest(body)), campaign: (body) => this.campaigns.start(body), hold: (agentId, body) => holdAgent(this.sessions, agentId, parseHoldRequest(body).forMs) },
    });
    this.#telemetry = await startTelemetry(telemetryOptions(this.config.otlp, "eastwest-collector", this.config.id, this.logger));
    observePipeline(this.#telemetry.meter, this.stats);
    this.logger.info({ grpc: `${this.config.grpc.host}:${this.grpcPort}`, http: `${this.config.http.host}:${this.httpPort}`, store: this.config.store.path }, "collector started");
  }

  /** What every receiver (gRPC, NATS) shares: the ingest pipeline, sessions and the registry hooks. */
  #receiverDeps(): ReceiverDeps {
    return {
      collectorId: this.config.id,
      ingestor: this.ingestor,
      sessions: this.sessions,
      stats: this.stats,
      logger: this.logger,
      limits: this.config.limits,
      log: this.#log,
      clocks: this.clocks,
      highestSeq: (id: string) => this.store.highestSeq(id),
      beginSession: (id: string, sessionId: string, baseSeq: bigint) => this.guard.hello(id, sessionId, baseSeq),
      onHello: (hello: Hello) => this.registry.onHello(hello, nowNs()),
      onDisconnect: (id: string) => this.registry.onDisconnect(id, nowNs()),
    };
  }

  /** Executes a traffic run between two connected agents (see run/runner.ts). */
  run(spec: RunSpec, onProgress?: (msg: string) => void): Promise<RunRecord> {
    return executeRun(spec, { sessions: this.sessions, store: this.store, logger: this.logger, constants: this.constants, clocks: this.clocks, onProgress });
  }

  /** The step stop() is in ("" before stop and after it finished): what a bounded stop names when it gives up. */
  get stopStep(): string {
    return this.#stopStep;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const step = async (name: string, f: () => Promise<unknown> | undefined) => {
      this.#stopStep = name;
      await f();
    };
    await step("stopping campaigns (restoring their settings on the agents)", () => this.campaigns.stop());
    for (const r of this.#receivers) await step(`closing the ${r instanceof GrpcReceiver ? "gRPC" : "NATS"} receiver`, () => r.close());
    await step("storing the batches in flight", () => this.ingestor.idle());
    await step("closing the HTTP API", () => this.#http?.close());
    await step("stopping retention", () => this.#retention.stop());
    await step("stopping compaction", () => this.#compaction.stop());
    await step("writing the collector's own last points", () => this.#self?.stop());
    this.#stalls.stop();
    // why: half the shutdown budget, so that a receiver that does not answer still leaves time to close the store.
    await step("forwarding stored points to the sinks", () => this.sinks.stop(Math.floor(this.config.shutdownTimeoutMs / 2)));
    await step("closing the store", () => this.store.close());
    await step("flushing the OTLP exporter", () => this.#telemetry?.shutdown());
    this.#stopStep = "";
  }
}
