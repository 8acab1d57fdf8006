// A scriptable HTTP receiver for the sinks' tests, on a random loopback port: keeps every request (headers, raw
// body) and answers what `answer` says (200 by default); `answer` can be changed while it runs to make outages,
// refusals and Retry-After. Stopped by the test.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The status it was answered with. */
  status: number;
}

export type Answer = (r: Omit<Received, "status">) => { status: number; headers?: Record<string, string>; body?: string };

export class SinkReceiver {
  readonly received: Received[] = [];
  answer: Answer = () => ({ status: 200 });
  #server: Server | undefined;
  #waiters: Array<() => void> = [];

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const r = { path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
        const a = this.answer(r);
        this.received.push({ ...r, status: a.status });
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? "");
        for (const w of this.#waiters.splice(0)) w();
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
  }

  /** Resolves at the next request answered. */
  next(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Bodies answered 2xx. */
  accepted(): Received[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300);
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => (this.#server ? this.#server.close(resolve) : resolve(undefined)));
  }
}
