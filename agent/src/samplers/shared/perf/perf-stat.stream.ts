// One long-lived `perf stat -x, -I <ms>` child whose stderr CSV is parsed as it streams into whole intervals.
// Shared by the pmu, kvmexits and membw samplers.
import { ParseError, errorMessage } from "@eastwest/common";
import type { SpawnTool, ToolExit, ToolProcess } from "../../../runtime/spawn.ts";
import { PerfIntervalAssembler, parsePerfStatLine, type PerfInterval } from "./perf-stat.parse.ts";
import { perfFailureReason } from "../../../host/perf.failure.ts";

/** What perf counts: the whole system (-a) or one process and its threads (-p). */
export type PerfTarget = { kind: "system" } | { kind: "pid"; pid: number };

const MAX_QUEUED_INTERVALS = 64;
const MAX_PROBLEMS = 16;
const TAIL_LINES = 32;

/**
 * Arguments for `perf stat -x, -I <intervalMs> -e <events> (-a | -p PID) -- cat`.
 * why: perf stat with no workload runs until signalled and would outlive an agent killed with SIGKILL; with
 * `cat` as the workload, reading the agent's never-written stdin pipe, perf ends when that pipe closes.
 */
export function perfStatArgs(events: readonly string[], intervalMs: number, target: PerfTarget): string[] {
  const who = target.kind === "system" ? ["-a"] : ["-p", String(target.pid)];
  return ["stat", "-x,", "-I", String(intervalMs), "-e", events.join(","), ...who, "--", "cat"];
}

export class PerfStatStream {
  readonly #proc: ToolProcess;
  readonly #assembler: PerfIntervalAssembler;
  #queue: PerfInterval[] = [];
  #problems: string[] = [];
  #tail: string[] = [];
  #lines = 0;
  #exitReported = false;

  /** Starts perf at once. `expectedRecords`: CSV lines per interval (one per event, more on hybrid PMUs is fine). */
  constructor(spawn: SpawnTool, args: readonly string[], expectedRecords: number) {
    this.#assembler = new PerfIntervalAssembler(Math.max(1, expectedRecords));
    this.#proc = spawn("perf", args, { stdinPipe: true, onStderrLine: (l) => this.#line(l) });
  }

  #line(text: string): void {
    this.#lines += 1;
    try {
      const record = parsePerfStatLine(text, this.#lines, true);
      if (record === undefined) return;
      const done = this.#assembler.push(record);
      if (done !== undefined) this.#queue.push(done);
      if (this.#queue.length > MAX_QUEUED_INTERVALS) this.#queue.shift();
    } catch (err) {
      this.#tail = [...this.#tail, text.trim()].slice(-TAIL_LINES);
      if (this.#problems.length < MAX_PROBLEMS) this.#problems.push(err instanceof ParseError ? err.message : errorMessage(err));
    }
  }

  /** Intervals completed since the last drain, oldest first (at most the last 64). */
  drain(): PerfInterval[] {
    const out = this.#queue;
    this.#queue = [];
    return out;
  }

  /** Unparsed lines since the last call, then (once) how perf exited. */
  problems(): string[] {
    const out = this.#problems;
    this.#problems = [];
    const exit = this.#proc.exit;
    if (exit !== undefined && !this.#exitReported) {
      this.#exitReported = true;
      out.push(describeExit(exit, this.#tail.join("\n")));
    }
    return out;
  }

  get exited(): boolean {
    return this.#proc.exit !== undefined;
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  /** Idempotent. */
  async close(): Promise<void> {
    await this.#proc.close();
  }
}

/** A stream wanted by a sampler: its perf arguments, CSV lines per interval and the tags of its points. */
export interface StreamSpec {
  args: string[];
  expectedRecords: number;
  tags: Readonly<Record<string, string>>;
}

interface Entry {
  spec: StreamSpec;
  stream: PerfStatStream;
}

/** The perf children of one sampler, by key (e.g. "host", "vm:1234"). */
export class PerfStreams {
  readonly #spawn: SpawnTool;
  readonly #streams = new Map<string, Entry>();

  constructor(spawn: SpawnTool) {
    this.#spawn = spawn;
  }

  /** Intervals completed since the last call, per running (or just exited) child. */
  drainAll(): Array<{ key: string; tags: Readonly<Record<string, string>>; intervals: PerfInterval[] }> {
    return [...this.#streams].map(([key, e]) => ({ key, tags: e.spec.tags, intervals: e.stream.drain() }));
  }

  /**
   * Makes the running children match `wanted`: closes those no longer wanted, (re)starts missing ones, ones
   * whose arguments changed and ones that exited. Returns their problems (unparsed lines, exits), prefixed by key.
   */
  async reconcile(wanted: ReadonlyMap<string, StreamSpec>): Promise<string[]> {
    const problems: string[] = [];
    for (const [key, entry] of this.#streams) {
      const spec = wanted.get(key);
      problems.push(...entry.stream.problems().map((p) => `${key}: ${p}`));
      if (spec === undefined || spec.args.join(" ") !== entry.spec.args.join(" ") || entry.stream.exited) {
        this.#streams.delete(key);
        await entry.stream.close();
      }
    }
    for (const [key, spec] of wanted) {
      const entry = this.#streams.get(key);
      if (entry !== undefined) entry.spec = spec;
      else this.#streams.set(key, { spec, stream: new PerfStatStream(this.#spawn, spec.args, spec.expectedRecords) });
    }
    return problems;
  }

  get size(): number {
    return this.#streams.size;
  }

  /** Idempotent. */
  async closeAll(): Promise<void> {
    const all = [...this.#streams.values()];
    this.#streams.clear();
    await Promise.all(all.map((e) => e.stream.close()));
  }
}

function describeExit(exit: ToolExit, tail: string): string {
  if (exit.error !== undefined) return exit.error;
  const how = exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
  const why = perfFailureReason(tail) ?? (tail.split("\n").find((l) => l.length > 8) ?? "");
  return `perf stat exited (${how})${why !== "" ? `: ${why}` : ""}`;
}
