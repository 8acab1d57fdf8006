// The fault suite's contract. A scenario starts real processes of its own (loopback, random ports, temp dirs),
// injects one fault, and answers rows counted from outside the agents' claims (count.ts) plus notes. A scenario
// never throws for a finding (that is a MISS row); it throws when it could not run (run.ts makes that a
// "failed" row). Everything it started is killed by pid and removed on every exit path (bench/host.ts cleanups).

export interface FaultRow {
  scenario: string;
  /** Batches the agents numbered (their spools), all agents of the row together. */
  made: string;
  /** Of those, the batches the collector's ledger holds. */
  stored: string;
  /** Made and never stored (ledger gaps included). */
  missing: string;
  /** Points stored more than once: repeated (series, time) pairs of the agents' cpu and netdev series. */
  duplicated: string;
  /** "yes", or each process that went down without being killed on purpose. */
  up: string;
  target: string;
  /** "ok", "MISS", or "failed: <why>". */
  result: string;
}

export interface FaultOutcome {
  rows: FaultRow[];
  notes: string[];
}

export interface FaultOptions {
  /** Smoke mode: each scenario about 10-20 s. */
  quick: boolean;
  /** Streaming time of the scenarios that have one (collector kills, NATS, disk full, impostor, half-open), s. */
  seconds: number;
  /** Collector SIGKILLs: every killEveryS s during `seconds`. */
  killEveryS: number;
  /** Agent SIGKILLs in the agent scenario. */
  agentKills: number;
  /** nats-server SIGKILLs. */
  natsKills: number;
  /** How long the InfluxDB-protocol store stays down, s. */
  outageSeconds: number;
  /** How long the collector's disk stays full, s. */
  fullSeconds: number;
  fuzzSeconds: number;
  /** Silent connections opened in the half-open scenario. */
  connections: number;
  /** The collector's grpc.maxConnectionIdleMs in the half-open scenario. */
  idleMs: number;
  log(line: string): void;
}

export interface Scenario {
  /** The --only name. */
  name: string;
  /** One line for --help. */
  summary: string;
  run(o: FaultOptions): Promise<FaultOutcome>;
}
