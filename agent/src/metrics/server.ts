// `eastwest agent --metrics-listen ADDR`: GET /metrics answers the agent's newest sample of every series
// (latest.ts) as a Prometheus exposition (common/src/prom: text 0.0.4, or OpenMetrics 1.0.0 when Accept asks),
// so Prometheus can scrape agents directly, like node_exporter. Only GET and HEAD of /metrics; with a token file
// every request needs `Authorization: Bearer <token>` (401 otherwise). start/close; close is safe twice.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync, statSync } from "node:fs";
import { createHash, timingSafeEqual } from "node:crypto";
import { allMeasurements, ConfigError, EastwestError, errorMessage, hostOfAddress, isLoopbackHost, nowNs, type Logger } from "@eastwest/common";
import { CONTENT_TYPES, Exposer, negotiate } from "@eastwest/common/prom";
import type { MetricsConfig } from "./config.ts";
import type { LatestTable } from "./latest.ts";

export class MetricsServerError extends EastwestError {}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  config: MetricsConfig;
  table: LatestTable;
  agentId: string;
  logger: Logger;
}

/** Starts listening on config.listen; rejects with ConfigError for a bad token file, MetricsServerError when it cannot listen. */
export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const { config, logger } = o;
  const host = hostOfAddress(config.listen).replace(/^\[(.*)\]$/, "$1");
  const port = Number(config.listen.slice(config.listen.lastIndexOf(":") + 1));
  const token = config.tokenFile === "" ? undefined : new TokenFile(config.tokenFile);
  token?.check();
  if (!isLoopbackHost(host) && token === undefined) logger.warn({ listen: config.listen }, "metrics.insecure: GET /metrics is served beyond loopback without authentication");
  const exposer = new Exposer(allMeasurements());
  let warned = 0n;
  /** The truncation line at most once a minute. */
  let truncWarnedMs = 0;
  // why not an import: an ES module import of node:http builds its namespace, which reads the module's lazy
  // WebSocket export and so loads Node's fetch implementation (undici): 2-3 MiB in every agent, served or not.
  const { createServer } = process.getBuiltinModule("node:http");
  const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    try {
      serve(req, res);
    } catch (err) {
      logger.error({ err: errorMessage(err) }, "GET /metrics failed");
      if (!res.headersSent) reply(res, 500, "text/plain; charset=utf-8", "internal error (logged by the agent)\n");
      else res.destroy();
    }
  });
  server.maxConnections = 16;
  server.keepAliveTimeout = 5_000;

  function serve(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== "/metrics") return reply(res, 404, "text/plain; charset=utf-8", "not found: only GET /metrics\n");
    if (req.method !== "GET" && req.method !== "HEAD") return reply(res, 405, "text/plain; charset=utf-8", "only GET and HEAD\n", { allow: "GET, HEAD" });
    if (token !== undefined && !token.accepts(req.headers.authorization))
      return reply(res, 401, "text/plain; charset=utf-8", "a bearer token is needed (metrics.tokenFile)\n", { "www-authenticate": 'Bearer realm="eastwest-agent"' });
    const format = negotiate(req.headers.accept);
    const now = nowNs();
    const staleNs = BigInt(config.staleAfterMs) * 1_000_000n;
    const rows = o.table.snapshot(staleNs > 0n ? now - staleNs : undefined);
    const r = exposer.render(rows, { format, nowNs: now, staleAfterNs: staleNs, maxSeries: config.maxSeries, selfLabels: { agent_id: o.agentId } });
    if (r.truncated > 0 && Date.now() - truncWarnedMs >= 60_000) {
      truncWarnedMs = Date.now();
      logger.warn({ series: r.series, truncated: r.truncated, maxSeries: config.maxSeries }, "GET /metrics reached metrics.maxSeries: series left out (see eastwest_metrics_truncated_series)");
    }
    if (o.table.refused > warned) {
      logger.warn({ maxSeries: config.maxSeries, refused: String(o.table.refused) }, "metrics.maxSeries reached: samples of new series are not kept for GET /metrics");
      warned = o.table.refused;
    }
    reply(res, 200, CONTENT_TYPES[format], req.method === "HEAD" ? "" : r.text);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new MetricsServerError(`metrics.listen: cannot listen on ${config.listen}: ${errorMessage(err)}`, { cause: err })));
    server.listen(port, host, () => resolve());
  });
  server.on("error", (err) => logger.error({ err: errorMessage(err) }, "metrics server error"));
  const bound = (server.address() as AddressInfo).port;
  logger.info({ listen: `${config.listen.slice(0, config.listen.lastIndexOf(":"))}:${bound}`, token: token !== undefined }, "serving GET /metrics");
  let closing: Promise<void> | undefined;
  return {
    port: bound,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

function reply(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), "cache-control": "no-store", ...headers });
  res.end(body);
}

/** The bearer token in a file (first line, trimmed), re-read when the file's mtime or size changes. */
class TokenFile {
  readonly #path: string;
  #stamp = "";
  #digest: Buffer = Buffer.alloc(0);

  constructor(path: string) {
    this.#path = path;
  }

  /** Reads the file now; throws ConfigError (exit 78) naming the key when it is missing, empty or open to others. */
  check(): void {
    const problem = this.#refresh();
    if (problem !== undefined) throw new ConfigError([`metrics.tokenFile ${this.#path}: ${problem}`]);
  }

  accepts(authorization: string | undefined): boolean {
    if (this.#refresh() !== undefined || authorization === undefined) return false;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return m !== null && timingSafeEqual(sha256(m[1] as string), this.#digest);
  }

  #refresh(): string | undefined {
    try {
      const st = statSync(this.#path);
      if ((st.mode & 0o077) !== 0) return "must not be readable or writable by group or others (chmod 600)";
      const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
      if (stamp === this.#stamp) return undefined;
      const t = (readFileSync(this.#path, "utf8").split("\n")[0] ?? "").trim();
      if (t === "") return "is empty";
      this.#digest = sha256(t);
      this.#stamp = stamp;
      return undefined;
    } catch (err) {
      return errorMessage(err);
    }
  }
}

function sha256(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}
