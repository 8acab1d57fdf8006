// The collector's HTTP JSON API on node:http: GET and HEAD read, POST acts (post.ts). Every request first
// passes guard.ts (tokens, media type, body size); the server's deadlines and connection cap come from there too.
//
// Every body is JSON with bigints written as exact JSON numbers, except GET /metrics (prometheus.ts: the Prometheus
// exposition). Errors are
// {"error": "<reason>"}: 400 bad parameters, 401/403 no or insufficient token, 404 unknown route or object,
// 405 other methods, 408 too slow, 413 body too large, 415 not JSON, 503 store unavailable, 500 a bug (logged).
// Each request is its own error boundary: whatever a handler throws becomes a JSON 500 for that request alone, a
// request node:http cannot parse a JSON 400, and their log lines go through a throttled log (values cut, N per
// minute per kind).
import { listenError } from "../listen.ts";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { EastwestError, errorMessage, nowNs, ThrottledLog, type Logger } from "@eastwest/common";
import { stringifyExact } from "../store/json.ts";
import { StoreError, type Store } from "../store/types.ts";
import { handle, type AgentDirectory, type ApiDeps, type Reply } from "./handlers.ts";
import { matchRoute } from "./routes.ts";
import { handlePost, type ApiActions } from "./post.ts";
import { TokenAuth, type ApiAuth } from "./auth.ts";
import { isLoopback } from "./config.ts";
import { admit, applyLimits, DEFAULT_LIMITS, serverOptions, type HttpLimits } from "./guard.ts";
import { metricsReply, PROMETHEUS_DEFAULTS, type PrometheusConfig } from "./prometheus.ts";

export interface HttpApiOptions {
  store: Store;
  registry: AgentDirectory;
  /** Listen address, e.g. 127.0.0.1. */
  host: string;
  /** 0: any free port (see HttpApi.port). */
  port: number;
  logger: Logger;
  /** Unix epoch ns; tests inject one. */
  clock?: () => bigint;
  /** POST actions (runs); absent: read-only API. */
  actions?: ApiActions;
  /** Who may do what (guard.ts authFromConfig); absent: no token is known, GET open on loopback only. */
  auth?: ApiAuth;
  limits?: HttpLimits;
  /** Lines about failed and malformed requests; default: one over `logger`. */
  log?: ThrottledLog;
  /** GET /metrics (prometheus.ts); default PROMETHEUS_DEFAULTS. */
  prometheus?: PrometheusConfig;
  /** The collector_id label of the exposition's own metrics. */
  collectorId?: string;
}

export interface HttpApi {
  /** The port actually listened on. */
  readonly port: number;
  /** Stops listening and ends open connections. Safe twice. */
  close(): Promise<void>;
}

/** The API could not start (address in use, no permission). */
export class HttpApiError extends EastwestError {}

/** Starts the API; resolves once it is listening. */
export async function startHttpApi(opts: HttpApiOptions): Promise<HttpApi> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const log = opts.log ?? new ThrottledLog(opts.logger);
  const clock = opts.clock ?? nowNs;
  const prom = { store: opts.store, clock, config: opts.prometheus ?? PROMETHEUS_DEFAULTS, collectorId: opts.collectorId ?? "collector", log };
  const deps: ApiDeps = { store: opts.store, registry: opts.registry, clock, metrics: (req) => metricsReply(req, prom) };
  const gate: Gate = { auth: opts.auth ?? new TokenAuth({ file: "", extra: [], openRead: isLoopback(opts.host), insecure: false, logger: opts.logger }), limits };
  const server = createServer(serverOptions(limits), (req, res) => {
    serve(req, res, deps, opts.logger, log, opts.actions ?? {}, gate).catch((err: unknown) => {
      log.error("http response failed", { url: req.url, err: errorMessage(err) }, "http response failed");
      if (res.headersSent) return void res.destroy();
      try {
        send(res, false, { status: 500, body: { error: "internal error (logged by the collector)" } });
      } catch {
        res.destroy();
      }
    });
  });
  server.on("clientError", (err: Error & { code?: string }, socket: Duplex) => badRequest(err, socket, log));
  applyLimits(server, limits);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(new HttpApiError(listenError("HTTP API", opts.host, opts.port, err).message, { cause: err })),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  server.on("error", (err) => opts.logger.error({ err: errorMessage(err) }, "http server error"));
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

interface Gate {
  auth: ApiAuth;
  limits: HttpLimits;
}

/**
 * A request node:http could not take (bad request line, header overflow, too slow): a JSON 400 (408 when too slow)
 * when the socket still takes one.
 */
function badRequest(err: Error & { code?: string }, socket: Duplex, log: ThrottledLog): void {
  log.warn(`http client error ${err.code ?? ""}`, { code: err.code, err: err.message }, "malformed http request");
  if (!socket.writable || err.code === "ECONNRESET") return void socket.destroy();
  const slow = err.code === "ERR_HTTP_REQUEST_TIMEOUT";
  const status = slow ? "408 Request Timeout" : "400 Bad Request";
  const body = `${JSON.stringify({ error: slow ? "request not received in time" : `malformed request: ${err.code ?? err.message}` })}\n`;
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

async function serve(req: IncomingMessage, res: ServerResponse, deps: ApiDeps, logger: Logger, log: ThrottledLog, actions: ApiActions, gate: Gate): Promise<void> {
  const startedNs = process.hrtime.bigint();
  let reply: Reply;
  try {
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    const refused = admit(req, pathname, gate.auth, gate.limits);
    const posted = refused ?? (req.method === "POST" ? await handlePost(req, pathname, actions, gate.limits.maxBodyBytes) : undefined);
    reply = posted ?? (await route(req, deps));
  } catch (err) {
    reply = failure(err, req, log);
  }
  send(res, req.method === "HEAD", reply);
  logger.debug({ method: req.method, url: req.url, status: reply.status, durationNs: String(process.hrtime.bigint() - startedNs) }, "http request");
}

async function route(req: IncomingMessage, deps: ApiDeps): Promise<Reply> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const match = matchRoute(req.method ?? "GET", url.pathname);
  switch (match.kind) {
    case "route":
      if (match.route.name === "metrics" && deps.metrics)
        return deps.metrics({ accept: req.headers.accept, acceptEncoding: req.headers["accept-encoding"], head: req.method === "HEAD" });
      return handle(match.route, url.searchParams, deps);
    case "not_found":
      return { status: 404, body: { error: `no route ${req.method} ${url.pathname}` } };
    case "method_not_allowed":
      return { status: 405, body: { error: `method ${req.method} not allowed (allowed: ${match.allow})` } };
    case "bad_path":
      return { status: 400, body: { error: match.error } };
  }
}

function failure(err: unknown, req: IncomingMessage, log: ThrottledLog): Reply {
  if (err instanceof StoreError) {
    log.warn("store unavailable for http request", { url: req.url, err: err.message }, "store unavailable for http request");
    return { status: 503, body: { error: `store unavailable: ${err.message}`, retryable: err.retryable } };
  }
  log.error("http handler failed", { url: req.url, err: errorMessage(err), stack: err instanceof Error ? err.stack : undefined }, "http handler failed");
  return { status: 500, body: { error: "internal error (logged by the collector)" } };
}

function send(res: ServerResponse, head: boolean, reply: Reply): void {
  const body = reply.raw ?? stringifyExact(reply.body) + "\n";
  res.writeHead(reply.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    ...(reply.status === 405 ? { allow: "GET, HEAD" } : {}),
    ...reply.headers,
  });
  res.end(head ? undefined : body);
}
