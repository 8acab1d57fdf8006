// What a request must pass before any handler runs, and the limits of the HTTP server itself.
//
// admit(): authentication (auth.ts: 401/403), then for POST the media type (415 unless application/json: a
// cross-site form or text/plain POST never starts work) and the declared body size (413; post.ts also counts
// what arrives). serverLimits(): header and whole-request deadlines (slowloris: a client that sends its request
// too slowly is answered 408 and disconnected), a cap on open connections, on headers and on keep-alive idling.
import type { IncomingMessage, Server, ServerOptions } from "node:http";
import { errorMessage, type Logger } from "@eastwest/common";
import { TokenAuth, type ApiAuth } from "./auth.ts";
import { isLoopback, type HttpConfig } from "./config.ts";
import type { Reply } from "./handlers.ts";
import { ensureClientToken, hashToken, localTokenPath, type TokenEntry } from "./tokens.ts";

export interface HttpLimits {
  maxBodyBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
}

export const DEFAULT_LIMITS: HttpLimits = { maxBodyBytes: 1024 * 1024, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxConnections: 256 };

/** A refusal for `req`, or undefined when it may go on to its handler. */
export function admit(req: IncomingMessage, path: string, auth: ApiAuth, limits: HttpLimits): Reply | undefined {
  const method = req.method ?? "GET";
  const decision = auth.decide(method, path, req.headers.authorization);
  if (decision.kind === "denied") {
    const headers: Record<string, string> = decision.status === 401 ? { "www-authenticate": 'Bearer realm="eastwest"' } : {};
    return { status: decision.status, body: { error: decision.error }, headers };
  }
  if (method !== "POST") return undefined;
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") return { status: 415, body: { error: `POST needs Content-Type: application/json (got ${JSON.stringify(req.headers["content-type"] ?? "none")})` } };
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limits.maxBodyBytes) return tooLarge(limits.maxBodyBytes);
  return undefined;
}

/** 413; the connection closes after it, so the unread body is never read. */
export function tooLarge(maxBodyBytes: number): Reply {
  return { status: 413, body: { error: `body larger than http.maxBodyBytes (${maxBodyBytes} bytes)` }, headers: { connection: "close" } };
}

/** Options for createServer: the deadlines are checked this often (Node's default is every 30 s). */
export function serverOptions(limits: HttpLimits): ServerOptions {
  const checkMs = Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4)));
  return { connectionsCheckingInterval: checkMs, headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, maxHeaderSize: 16 * 1024 };
}

export function applyLimits(server: Server, limits: HttpLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.maxHeadersCount = 100;
  server.maxRequestsPerSocket = 1000;
  server.keepAliveTimeout = 5_000;
}

/**
 * The API's authentication from its config section. Throws ConfigError when the token file is missing or bad.
 * With `localToken`, makes (or reads) the local CLI's write token beside the store file; where that fails the
 * API goes on without it and says so. `insecure` is logged as a warning at every start.
 */
export function authFromConfig(http: HttpConfig, storePath: string, logger: Logger): { auth: ApiAuth; localTokenFile?: string } {
  const extra: TokenEntry[] = [];
  let localTokenFile: string | undefined;
  if (http.localToken && !http.insecure) {
    const path = localTokenPath(storePath);
    try {
      extra.push({ hash: hashToken(ensureClientToken(path)), scope: "write", name: "local" });
      localTokenFile = path;
    } catch (err) {
      logger.warn({ file: path, err: errorMessage(err) }, "no local API token: the local CLI cannot POST without --token-file");
    }
  }
  const openRead = isLoopback(http.host);
  if (http.insecure) logger.warn({ host: http.host }, "http.insecure: the HTTP API serves and accepts commands without authentication");
  const auth = new TokenAuth({ file: http.tokenFile, extra, openRead, insecure: http.insecure, logger });
  logger.info({ host: http.host, tokens: auth.size, openRead, insecure: http.insecure, localTokenFile }, "http authentication");
  return localTokenFile === undefined ? { auth } : { auth, localTokenFile };
}
