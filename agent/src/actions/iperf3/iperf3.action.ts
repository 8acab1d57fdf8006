// iperf3 one-off server and client actions. Results are {iperf3: <iperf3 -J document>} (see README.md).
import { setTimeout as sleep } from "node:timers/promises";
import { CommandError, ValidationError, backoffDelayMs, errorMessage, type Logger } from "@eastwest/common";
import type { Iperf3Client, Iperf3Server } from "@eastwest/proto";
import type { HostFs } from "../../runtime/hostfs.ts";
import {
  DEFAULT_ONE_OFF_TIMEOUT_MS, clientArgs, clientProblems, parseAvailableCongestion, serverArgs, serverProblems,
} from "./iperf3.args.ts";
import type { RunTool, ToolRun } from "./iperf3.run.ts";

export const IPERF3 = "iperf3";
/** A client attempt may take the run's duration plus this much (ms) for connect, setup and results. */
export const CLIENT_SLACK_MS = 30_000;

export interface RetryPolicy {
  /** Refused connections are retried while this much time (ms) has not passed since the first attempt. */
  windowMs: number;
  minMs: number;
  maxMs: number;
}

export const REFUSED_RETRY: RetryPolicy = { windowMs: 5000, minMs: 100, maxMs: 1000 };

export interface Iperf3Deps {
  run: RunTool;
  fs: HostFs;
  logger: Logger;
  /** The command's signal: aborting stops iperf3. */
  signal: AbortSignal;
  retry?: RetryPolicy;
}

/** iperf3's JSON document (iperf3 -J), as iperf3 wrote it. */
export type Iperf3Document = Record<string, unknown>;

export interface Iperf3ServerResult {
  iperf3: Iperf3Document;
  /** iperf3's process id on this agent's host (absent when the runner does not know it). */
  pid?: number;
}

export interface Iperf3ClientResult {
  iperf3: Iperf3Document;
  /** The process id of the attempt that ran the test. */
  pid?: number;
  /** Runs of iperf3 -c, >1 when the server refused connections at first. */
  connectAttempts: number;
}

type Outcome = { ok: true; doc: Iperf3Document } | { ok: false; error: string; refused: boolean };

const REFUSED = /connection refused|unable to connect/i;

function parseDocument(stdout: string): Iperf3Document | undefined {
  try {
    const doc: unknown = JSON.parse(stdout);
    return typeof doc === "object" && doc !== null && !Array.isArray(doc) ? (doc as Iperf3Document) : undefined;
  } catch {
    return undefined;
  }
}

function outcomeOf(run: ToolRun): Outcome {
  const doc = parseDocument(run.stdout);
  const error = doc?.["error"];
  if (typeof error === "string" && error !== "") return { ok: false, error, refused: REFUSED.test(error) };
  if (run.exitCode === 0 && doc !== undefined) return { ok: true, doc };
  const detail = run.stderr.trim().split("\n").at(-1) || (doc === undefined ? "no JSON document on stdout" : "no error text");
  return { ok: false, error: `exited with ${run.exitCode ?? run.signal}: ${detail}`, refused: false };
}

function stopped(run: ToolRun, what: string, timeoutText: string): CommandError | undefined {
  if (run.killedFor === undefined) return undefined;
  const why = {
    timeout: timeoutText,
    abort: "the command deadline passed or it was cancelled",
    output: "its output exceeded the limit",
  }[run.killedFor];
  return new CommandError(`${what}: ${why}; iperf3 was stopped`, run.exitCode, run.stderr);
}

/** Runs `iperf3 -s -1 -J ...` until one test ends; rejects with iperf3's own error text or on timeout/abort. */
export async function iperf3Server(spec: Iperf3Server, deps: Iperf3Deps): Promise<Iperf3ServerResult> {
  const problems = serverProblems(spec);
  if (problems.length > 0) throw new ValidationError(`invalid iperf3_server command: ${problems.join("; ")}`);
  const timeoutMs = spec.oneOffTimeoutMs === 0 ? DEFAULT_ONE_OFF_TIMEOUT_MS : spec.oneOffTimeoutMs;
  const what = `iperf3 server (port ${spec.port})`;
  const run = await deps.run(IPERF3, serverArgs(spec), { timeoutMs, signal: deps.signal });
  const stop = stopped(run, what, `no test finished within ${timeoutMs} ms (one_off_timeout_ms)`);
  if (stop) throw stop;
  const out = outcomeOf(run);
  if (!out.ok) throw new CommandError(`${what}: ${out.error}`, run.exitCode, run.stderr);
  return { iperf3: out.doc, ...pidOf(run) };
}

const pidOf = (run: ToolRun): { pid?: number } => (run.pid !== undefined ? { pid: run.pid } : {});

async function availableCongestion(fs: HostFs): Promise<string[] | Error> {
  try {
    return parseAvailableCongestion(await fs.proc("sys/net/ipv4/tcp_available_congestion_control"));
  } catch (err) {
    return new Error(errorMessage(err), { cause: err });
  }
}

/**
 * Runs `iperf3 -c ...`; a refused connection (server not listening yet) is retried with backoff
 * within the retry window; any other error rejects with iperf3's error text.
 */
export async function iperf3Client(spec: Iperf3Client, deps: Iperf3Deps): Promise<Iperf3ClientResult> {
  const available = spec.congestion === "" ? [] : await availableCongestion(deps.fs);
  const problems = clientProblems(spec, available);
  if (problems.length > 0) throw new ValidationError(`invalid iperf3_client command: ${problems.join("; ")}`);
  const policy = deps.retry ?? REFUSED_RETRY;
  const what = `iperf3 client (${spec.server} port ${spec.port})`;
  const timeoutMs = spec.durationS * 1000 + CLIENT_SLACK_MS;
  const firstMs = Date.now();
  for (let attempt = 1; ; attempt++) {
    const run = await deps.run(IPERF3, clientArgs(spec), { timeoutMs, signal: deps.signal });
    const stop = stopped(run, what, `the run did not end within ${timeoutMs} ms`);
    if (stop) throw stop;
    const out = outcomeOf(run);
    if (out.ok) return { iperf3: out.doc, ...pidOf(run), connectAttempts: attempt };
    const delayMs = backoffDelayMs(attempt - 1, policy.minMs, policy.maxMs);
    if (!out.refused || Date.now() + delayMs - firstMs > policy.windowMs) {
      const tries = out.refused ? ` (${attempt} attempts in ${Date.now() - firstMs} ms)` : "";
      throw new CommandError(`${what}: ${out.error}${tries}`, run.exitCode, run.stderr);
    }
    deps.logger.debug({ action: "iperf3Client", attempt, delayMs, error: out.error }, "iperf3 server not reachable yet; retrying");
    await sleep(delayMs, undefined, { signal: deps.signal }).catch(() => {
      throw new CommandError(`${what}: the command deadline passed or it was cancelled while retrying`, null, "");
    });
  }
}
