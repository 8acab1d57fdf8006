// A QMP client over a unix socket: greeting, qmp_capabilities, then commands matched to replies by id.
// Any transport or protocol failure fails every pending command and leaves the client unusable (open a new one).
import { connect, type Socket } from "node:net";
import { errorMessage } from "@eastwest/common";
import { LineSplitter, QmpError, parseQmpLine } from "./qmp.protocol.ts";

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (err: QmpError) => void;
}

const RETRY_MS = 20;

/** The socket was busy: its listen backlog was full. */
function busy(err: unknown): boolean {
  return ((err as { cause?: NodeJS.ErrnoException }).cause ?? (err as NodeJS.ErrnoException)).code === "EAGAIN";
}

/**
 * A greeted client in command mode. why: a QEMU monitor socket serves one client at a time and keeps its listen
 * backlog tiny, so while another client (a second agent, an operator's socat) holds it, connect() fails with EAGAIN
 * or waits for a greeting; both are retried until `timeoutMs`.
 */
export async function openQmp(path: string, signal: AbortSignal, timeoutMs: number): Promise<QmpClient> {
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  for (;;) {
    const client = new QmpClient(path);
    try {
      await client.open(deadline, timeoutMs);
      return client;
    } catch (err) {
      client.close();
      if (!busy(err) || deadline.aborted) throw err;
    }
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

export class QmpClient {
  readonly path: string;
  /** QEMU version from the greeting ("7.2.22"), "" before it. */
  version = "";
  #socket: Socket | undefined;
  #splitter = new LineSplitter();
  #pending = new Map<string, Pending>();
  #greeted: Pending | undefined;
  #nextId = 0;
  #closed = false;
  #failure: QmpError | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** Connects, waits for the greeting and enters command mode; `timeoutMs` bounds the greeting (a busy monitor never greets). */
  async open(signal: AbortSignal, timeoutMs: number): Promise<void> {
    if (this.#socket !== undefined) throw new QmpError(`QMP ${this.path}: open() called twice`);
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    const greeting = new Promise<unknown>((resolve, reject) => (this.#greeted = { command: "greeting", resolve, reject }));
    const socket = connect(this.path);
    this.#socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.#onData(chunk));
    socket.on("error", (err) => this.#fail(new QmpError(`QMP ${this.path}: ${errorMessage(err)}`, "", { cause: err })));
    socket.on("close", () => this.#fail(new QmpError(`QMP ${this.path}: connection closed by QEMU`)));
    try {
      await this.#until(greeting, deadline, () =>
        `QMP ${this.path}: no greeting within ${timeoutMs} ms (another client holds the monitor? libvirtd keeps its own connection)`);
    } catch (err) {
      this.close();
      throw err;
    }
    await this.execute("qmp_capabilities", undefined, signal);
  }

  /** Runs one command; resolves with its "return" value, rejects with QmpError (QEMU's class in errorClass). */
  async execute(command: string, args: Record<string, unknown> | undefined, signal: AbortSignal): Promise<unknown> {
    const socket = this.#socket;
    if (this.#failure !== undefined) throw this.#failure;
    if (socket === undefined || this.#closed) throw new QmpError(`QMP ${this.path}: not connected`);
    const id = `ew-${this.#nextId++}`;
    const reply = new Promise<unknown>((resolve, reject) => this.#pending.set(id, { command, resolve, reject }));
    socket.write(JSON.stringify(args === undefined ? { execute: command, id } : { execute: command, arguments: args, id }) + "\n");
    try {
      return await this.#until(reply, signal, () => `QMP ${command}: no reply before the session's deadline`);
    } finally {
      // why: a late reply to an abandoned id is ignored; the connection stays usable.
      this.#pending.delete(id);
    }
  }

  /** Idempotent; pending commands fail with "closed". */
  close(): void {
    if (this.#closed) return;
    this.#fail(new QmpError(`QMP ${this.path}: closed`));
    this.#closed = true;
    this.#socket?.destroy();
  }

  async #until<T>(p: Promise<T>, signal: AbortSignal, why: () => string): Promise<T> {
    // why: `p` may still be rejected (connection lost) after we stop waiting; that must not be an unhandled rejection.
    p.catch(() => undefined);
    if (signal.aborted) throw new QmpError(why());
    let onAbort = (): void => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new QmpError(why()));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([p, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  #onData(chunk: string): void {
    try {
      for (const line of this.#splitter.push(chunk)) this.#dispatch(line);
    } catch (err) {
      this.#fail(new QmpError(`QMP ${this.path}: ${errorMessage(err)}`, "", { cause: err }));
      this.#socket?.destroy();
    }
  }

  #dispatch(line: string): void {
    const msg = parseQmpLine(line);
    if (msg.kind === "event") return;
    if (msg.kind === "greeting") {
      this.version = msg.version || "?";
      this.#greeted?.resolve(msg);
      return;
    }
    const pending = typeof msg.id === "string" ? this.#pending.get(msg.id) : undefined;
    if (pending === undefined) return;
    if (msg.kind === "return") pending.resolve(msg.value);
    else pending.reject(new QmpError(`QMP ${pending.command}: ${msg.errorClass}: ${msg.desc}`, msg.errorClass));
  }

  #fail(err: QmpError): void {
    if (this.#failure !== undefined || this.#closed) return;
    this.#failure = err;
    this.#greeted?.reject(err);
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
