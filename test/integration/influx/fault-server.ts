// A tiny HTTP server that answers writes from a script, for the failures a real
// InfluxDB does not produce on demand (429 with Retry-After, 500, 401).
import { createServer, type IncomingMessage, type Server } from "node:http";
import { gunzipSync } from "node:zlib";

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface Received {
  path: string;
  authorization: string | undefined;
  lines: string[];
  atMs: number;
}

export interface FaultServer {
  url: string;
  received: Received[];
  /** Answers in order; when they run out, `fallback` decides from the request. */
  script: Answer[];
  fallback: (r: Received) => Answer;
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
}

export async function startFaultServer(): Promise<FaultServer> {
  const fs: Omit<FaultServer, "url" | "close"> = { received: [], script: [], fallback: () => ({ status: 204 }) };
  const server: Server = createServer((req, res) => {
    void bodyOf(req).then((text) => {
      const r: Received = { path: req.url ?? "", authorization: req.headers.authorization, lines: text.split("\n"), atMs: Date.now() };
      fs.received.push(r);
      const a = fs.script.shift() ?? fs.fallback(r);
      const json = a.body !== undefined && a.body.startsWith("{");
      res.writeHead(a.status, { ...(json ? { "content-type": "application/json" } : {}), ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(fs, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
