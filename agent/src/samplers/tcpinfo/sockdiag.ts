// The sockdiag client: one long-lived `perl sockdiag.pl` per sampler, started on the first query, one query in
// flight at a time, each with a deadline and a bounded reply. A helper that died fails the query in flight, or the
// next one; the query after that starts a new helper.
// why: child_process directly, not runtime/spawn.ts: that one never writes to a child's stdin, and this protocol does.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Socket } from "node:net";
import { EastwestError } from "@eastwest/common";
import { LineSplitter } from "../../runtime/spawn.ts";
import type { SockDiagRequest } from "./sockdiag.bytecode.ts";
import { parseHelperLine, requestLine, type RawSocket } from "./sockdiag.protocol.ts";

export const SOCKDIAG_SCRIPT = fileURLToPath(new URL("./sockdiag.pl", import.meta.url));

/**
 * Why a query failed. "start" (no perl) and "kernel" (sock_diag said no: an errno) will not fix themselves; "died",
 * "timeout" and "protocol" are the helper's (it is started again); "deadline" and "closed" are not the helper's fault.
 */
export type SockDiagFailure = "start" | "kernel" | "died" | "timeout" | "protocol" | "deadline" | "closed";

/** A query failed; `failure` says how. */
export class SockDiagError extends EastwestError {
  readonly failure: SockDiagFailure;
  /** The kernel's errno when sock_diag itself failed (e.g. ENOENT without inet_diag/tcp_diag). */
  readonly errno: number | undefined;
  constructor(message: string, failure: SockDiagFailure, errno?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.failure = failure;
    this.errno = errno;
  }
}

export interface SockDiagOptions {
  /** Default "perl" (looked up on PATH). */
  perl?: string;
  script?: string;
  /** Helper arguments: ["--by-family"] skips the one-walk AF_UNSPEC request (see sockdiag.pl). */
  args?: readonly string[];
  /** Per query. Default 2000 ms. */
  timeoutMs?: number;
  /** Reply bytes per query before it is abandoned. Default 16 MiB. */
  maxReplyBytes?: number;
}

/** The query interface the sampler uses (a fake in tests only to inject faults). */
export interface SockDiagQuery {
  query(request: SockDiagRequest, signal?: AbortSignal): Promise<RawSocket[]>;
  close(): Promise<void>;
}

interface Pending {
  id: number;
  sockets: RawSocket[];
  bytes: number;
  /** Resolves once the helper answered this request (E or X), died, or was killed. */
  done: Promise<void>;
  settle: (result: RawSocket[] | SockDiagError) => void;
}

const MAX_LINE_CHARS = 8192;
const STDERR_TAIL_CHARS = 512;

function deadline(): SockDiagError {
  return new SockDiagError("sockdiag: tick deadline passed before the reply", "deadline");
}

/** Resolves when `p` does; rejects with a deadline error when `signal` aborts first. */
function raceAbort(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return p;
  if (signal.aborted) return Promise.reject(deadline());
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(deadline());
    signal.addEventListener("abort", onAbort, { once: true });
    void p.then(() => (signal.removeEventListener("abort", onAbort), resolve()));
  });
}

export class SockDiagClient implements SockDiagQuery {
  readonly #perl: string;
  readonly #script: string;
  readonly #args: readonly string[];
  readonly #timeoutMs: number;
  readonly #maxReplyBytes: number;
  #child: ChildProcess | undefined;
  /** The request the helper is working on; it stays here after its caller gave up (a missed tick deadline). */
  #pending: Pending | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #stderrTail = "";
  #closed = false;
  /** A helper that died while idle: reported by the next query. */
  #died: SockDiagError | undefined;

  constructor(options: SockDiagOptions = {}) {
    this.#perl = options.perl ?? "perl";
    this.#script = options.script ?? SOCKDIAG_SCRIPT;
    this.#args = options.args ?? [];
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#maxReplyBytes = options.maxReplyBytes ?? 16 * 1024 * 1024;
  }

  /** The running helper's pid, if any. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Sockets matching `request`; rejects with SockDiagError. Queries run one after another. */
  query(request: SockDiagRequest, signal?: AbortSignal): Promise<RawSocket[]> {
    const run = this.#queue.then(() => this.#run(request, signal));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #run(request: SockDiagRequest, signal?: AbortSignal): Promise<RawSocket[]> {
    // why: the helper answers in order; a request written while it still works on an abandoned one would queue
    // behind it, and under load every later reply would miss its deadline too. Wait for it (bounded by its timeout).
    if (this.#pending !== undefined) await raceAbort(this.#pending.done, signal);
    if (this.#closed) throw new SockDiagError("sockdiag: closed", "closed");
    if (signal?.aborted) throw new SockDiagError("sockdiag: aborted before the query", "deadline");
    const died = this.#died;
    this.#died = undefined;
    if (died !== undefined) throw died;
    const child = this.#child ?? this.#start();
    const id = this.#nextId++;
    return new Promise<RawSocket[]>((resolve, reject) => {
      let answered = false;
      const answer = (result: RawSocket[] | SockDiagError) => {
        if (answered) return;
        answered = true;
        signal?.removeEventListener("abort", onAbort);
        if (result instanceof SockDiagError) reject(result);
        else resolve(result);
      };
      // why: a missed tick deadline is not the helper's fault: the caller gets its error, the helper finishes.
      const onAbort = () => answer(deadline());
      signal?.addEventListener("abort", onAbort, { once: true });
      // why: a helper without a reply by then may be stuck in the kernel or mid-reply: kill it, restart next query.
      const timer = setTimeout(() => this.#kill(child, new SockDiagError(`sockdiag: no reply within ${this.#timeoutMs} ms (helper restarted)`, "timeout")), this.#timeoutMs);
      let finished: () => void = () => undefined;
      const pending: Pending = {
        id,
        sockets: [],
        bytes: 0,
        done: new Promise<void>((r) => (finished = r)),
        settle: (result) => {
          clearTimeout(timer);
          if (this.#pending === pending) this.#pending = undefined;
          finished();
          answer(result);
        },
      };
      this.#pending = pending;
      child.stdin?.write(requestLine(id, request));
    });
  }

  #start(): ChildProcess {
    this.#stderrTail = "";
    const child = spawn(this.#perl, [this.#script, ...this.#args], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } });
    this.#child = child;
    const lines = new LineSplitter((line) => this.#line(child, line), MAX_LINE_CHARS);
    child.stdout?.setEncoding("utf8").on("data", (d: string) => lines.push(d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      this.#stderrTail = (this.#stderrTail + d).slice(-STDERR_TAIL_CHARS);
    });
    child.stdin?.on("error", () => undefined); // why: EPIPE when the helper died; its exit reports it.
    child.on("error", (e: NodeJS.ErrnoException) => {
      const why = e.code === "ENOENT" ? `${this.#perl}: not found` : `${this.#perl}: ${e.message}`;
      this.#gone(child, `sockdiag: cannot start helper: ${why}`, "start");
    });
    child.on("exit", (code, sig) => this.#gone(child, `sockdiag: helper exited (${sig ?? `code ${code}`})${this.#stderr()}`, "died"));
    // why: the helper must never keep the agent alive; it ends by itself when its stdin closes.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as Socket | null)?.unref?.();
    return child;
  }

  #stderr(): string {
    const tail = this.#stderrTail.trim().replace(/\s+/g, " ");
    return tail === "" ? "" : `: ${tail}`;
  }

  #gone(child: ChildProcess, message: string, failure: "start" | "died"): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    // why: a death between queries is still the next tick's error (then the query after starts a new helper),
    // so a crash-looping helper shows up in the sampler's errors instead of as silent restarts.
    if (this.#pending === undefined) this.#died = new SockDiagError(`${message}; restarting`, failure);
    else this.#pending.settle(new SockDiagError(message, failure));
  }

  #kill(child: ChildProcess, why: SockDiagError): void {
    if (this.#child === child) this.#child = undefined;
    child.stdin?.end();
    child.kill("SIGKILL");
    this.#pending?.settle(why);
  }

  #line(child: ChildProcess, line: string): void {
    if (this.#child !== child) return; // a killed helper's last words
    const p = this.#pending;
    const rec = parseHelperLine(line);
    if (rec.kind === "bad") {
      this.#kill(child, new SockDiagError(`sockdiag: helper printed non-protocol output (${rec.problem}); helper restarted`, "protocol"));
      return;
    }
    if (p === undefined || rec.id !== p.id) return; // not the request in flight: nothing to do with it
    p.bytes += line.length + 1;
    if (p.bytes > this.#maxReplyBytes) {
      this.#kill(child, new SockDiagError(`sockdiag: reply larger than ${this.#maxReplyBytes} bytes; helper restarted`, "protocol"));
    } else if (rec.kind === "socket") p.sockets.push(rec.socket);
    else if (rec.kind === "error") p.settle(new SockDiagError(`sock_diag: ${rec.message} (errno ${rec.errno})`, "kernel", rec.errno));
    else if (rec.count !== p.sockets.length) p.settle(new SockDiagError(`sockdiag: helper announced ${rec.count} sockets, sent ${p.sockets.length}`, "protocol"));
    else p.settle(p.sockets);
  }

  /** Idempotent: ends the helper's stdin (it exits on EOF), and kills it if it is still there after a grace. */
  async close(): Promise<void> {
    this.#closed = true;
    const child = this.#child;
    this.#child = undefined;
    this.#pending?.settle(new SockDiagError("sockdiag: closed", "closed"));
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 1000);
    await exited;
    clearTimeout(timer);
  }
}
