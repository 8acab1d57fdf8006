// The one way the agent runs a long-lived tool (e.g. `perf stat -I`): a binary and an argument array (never a
// shell string), output delivered line by line as it streams, killed by pid on close.
import { spawn } from "node:child_process";

export interface ToolExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the child could not be started, e.g. "perf: not found". */
  error?: string;
}

export interface SpawnOptions {
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /**
   * Give the child an open stdin pipe that is never written to: it reads EOF when close() runs or when the
   * agent dies, however it dies (a child that ends on stdin EOF never outlives the agent). Default: /dev/null.
   */
  stdinPipe?: boolean;
  /** Longer lines are cut to this many characters. Default 65536. */
  maxLineChars?: number;
  /** close(): time between SIGTERM and SIGKILL. Default 2000 ms. */
  killGraceMs?: number;
}

export interface ToolProcess {
  readonly pid: number | undefined;
  /** Resolves once the child has exited (or failed to start); never rejects. */
  readonly exited: Promise<ToolExit>;
  /** The exit, once it happened. */
  readonly exit: ToolExit | undefined;
  /** Ends stdin, then SIGTERM by pid, then SIGKILL after the grace. Idempotent; resolves with the exit. */
  close(): Promise<ToolExit>;
}

export type SpawnTool = (file: string, args: readonly string[], options?: SpawnOptions) => ToolProcess;

/** Splits a character stream into lines; the unterminated tail is delivered by flush(). */
export class LineSplitter {
  readonly #onLine: (line: string) => void;
  readonly #max: number;
  #tail = "";

  constructor(onLine: (line: string) => void, maxLineChars = 65_536) {
    this.#onLine = onLine;
    this.#max = maxLineChars;
  }

  push(chunk: string): void {
    const parts = (this.#tail + chunk).split("\n");
    this.#tail = (parts.pop() ?? "").slice(0, this.#max);
    for (const line of parts) this.#onLine(line.slice(0, this.#max).replace(/\r$/, ""));
  }

  flush(): void {
    if (this.#tail !== "") this.#onLine(this.#tail.replace(/\r$/, ""));
    this.#tail = "";
  }
}

export const spawnTool: SpawnTool = (file, args, options = {}) => {
  const child = spawn(file, [...args], {
    stdio: [options.stdinPipe ? "pipe" : "ignore", "pipe", "pipe"],
    env: { ...process.env, LC_ALL: "C" },
  });
  let exit: ToolExit | undefined;
  const out = new LineSplitter(options.onStdoutLine ?? (() => undefined), options.maxLineChars);
  const err = new LineSplitter(options.onStderrLine ?? (() => undefined), options.maxLineChars);
  child.stdout?.setEncoding("utf8").on("data", (d: string) => out.push(d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => err.push(d));
  // why: a child that already exited makes stdin writes/ends fail with EPIPE; nothing is ever written.
  child.stdin?.on("error", () => undefined);
  const exited = new Promise<ToolExit>((resolve) => {
    // why: `on`, not `once`: a second "error" (e.g. a failed kill) without a listener would throw.
    child.on("error", (e: NodeJS.ErrnoException) => {
      if (exit !== undefined || child.pid !== undefined) return;
      exit = { code: null, signal: null, error: e.code === "ENOENT" ? `${file}: not found` : `${file}: ${e.message}` };
      resolve(exit);
    });
    child.once("close", (code, signal) => {
      out.flush();
      err.flush();
      exit ??= { code, signal };
      resolve(exit);
    });
  });
  let closing: Promise<ToolExit> | undefined;
  const close = (): Promise<ToolExit> => {
    closing ??= terminate(child.pid, exited, () => exit !== undefined, options.killGraceMs ?? 2000, () => child.stdin?.end());
    return closing;
  };
  return {
    pid: child.pid,
    exited,
    get exit() {
      return exit;
    },
    close,
  };
};

async function terminate(pid: number | undefined, exited: Promise<ToolExit>, done: () => boolean, graceMs: number, endStdin: () => void): Promise<ToolExit> {
  if (done() || pid === undefined) return exited;
  endStdin();
  signal(pid, "SIGTERM");
  const timer = setTimeout(() => signal(pid, "SIGKILL"), graceMs);
  timer.unref();
  const result = await exited;
  clearTimeout(timer);
  return result;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: already gone.
  }
}
