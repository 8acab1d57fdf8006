// What one HTTP write of line protocol to InfluxDB (or a server speaking its
// write API) came to, and how HTTP answers map onto it. Pure.

/**
 * - ok: every line was accepted (2xx).
 * - retryable: the server could not take the lines now (408, 429, 5xx, network, timeout); sending the
 *   same lines later may succeed. retryAfterMs: the server's Retry-After, when it sent one.
 * - refused: the server refused the lines themselves (400, 413, 422), possibly after writing some of
 *   them (InfluxDB's "partial write"); sending them again cannot help.
 * - misconfigured: the request cannot succeed until the operator acts (401, 403, 404: token, database,
 *   bucket, URL; other 4xx); the lines are fine.
 */
export type SendResult =
  | { kind: "ok" }
  | { kind: "retryable"; reason: string; retryAfterMs?: number }
  | { kind: "refused"; reason: string; status: number }
  | { kind: "misconfigured"; reason: string; status: number };

/** One way of writing lines to a server: one request per call. send never throws. */
export interface InfluxTransport {
  /** Writes the lines (joined by "\n") in one request. */
  send(lines: readonly string[]): Promise<SendResult>;
  /** Ends pending requests and frees connections; safe twice. */
  close(): Promise<void>;
}

const REFUSED = new Set([400, 413, 422]);
const MISCONFIGURED = new Set([401, 403, 404, 405]);
const MAX_REASON = 500;

/** Maps a non-2xx HTTP answer to a SendResult. `body` is the response text; `retryAfter` the raw header. */
export function classifyHttp(status: number, body: string, retryAfter: string | null | undefined, nowMs: number): SendResult {
  const message = `HTTP ${status}: ${serverMessage(body)}`;
  if (REFUSED.has(status)) return { kind: "refused", status, reason: `server refused the points (${message})` };
  if (MISCONFIGURED.has(status) || (status >= 300 && status < 500 && status !== 408 && status !== 425 && status !== 429)) {
    return { kind: "misconfigured", status, reason: `server refused the request (${message}): check store.influx (url, api, token or user, org/bucket or db)` };
  }
  const after = parseRetryAfter(retryAfter, nowMs);
  return after === undefined ? { kind: "retryable", reason: message } : { kind: "retryable", reason: message, retryAfterMs: after };
}

/** A transport-level failure (connection refused, reset, timeout) as a SendResult. */
export function networkFailure(err: unknown): SendResult {
  const e = err as { message?: unknown; code?: unknown; cause?: { code?: unknown; message?: unknown } };
  const code = e?.code ?? e?.cause?.code;
  const text = String(e?.cause?.message ?? e?.message ?? err);
  return { kind: "retryable", reason: `cannot reach the server: ${code ? `${String(code)} ` : ""}${text}`.slice(0, MAX_REASON) };
}

/**
 * Retry-After (RFC 9110 10.2.3) in ms: delta-seconds or an HTTP-date; undefined when absent or unreadable.
 * why: @influxdata/influxdb-client 1.35 reads delta-seconds as milliseconds, so the header is parsed here.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** The server's own words: InfluxDB 1.x {"error"}, 2.x/3.x {"message"}, else the text. */
export function serverMessage(body: string): string {
  let text = body.trim();
  try {
    const json = JSON.parse(text) as { error?: unknown; message?: unknown };
    const m = json.error ?? json.message;
    if (typeof m === "string") text = m;
  } catch {
    // why: VictoriaMetrics and proxies answer in plain text.
  }
  return (text === "" ? "(empty body)" : text).slice(0, MAX_REASON);
}
