// One HTTP POST of a sink request, as an outcome (types.ts): node:http(s) with the sink's CA, auth, headers and
// timeout. Credentials are read from their files at every request, so a rotated token needs no restart; a file
// that cannot be read is a retryable outcome (the operator can fix it), never a throw.
import { readFileSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { errorMessage } from "@eastwest/common";
import type { SinkConfig } from "./config.ts";
import type { SendOutcome } from "./types.ts";

/** Kept of an error answer's body, for the log. */
const MAX_REASON = 512;
/** Retry-After beyond this is capped (ms). */
const MAX_RETRY_AFTER_MS = 300_000;

/** Sends one body; `signal` ends the request early (a retryable outcome). */
export type Poster = (body: Uint8Array, headers: Readonly<Record<string, string>>, signal?: AbortSignal) => Promise<SendOutcome>;

/** A poster for one sink; reads tls.ca once (a missing CA file throws here, at start). */
export function httpPoster(c: SinkConfig): Poster {
  const url = new URL(c.url);
  const https = url.protocol === "https:";
  const ca = c.tls.ca === "" ? undefined : readFileSync(c.tls.ca);
  return async (body, headers, signal) => {
    let auth: string | undefined;
    try {
      auth = authorization(c);
    } catch (err) {
      return { kind: "retryable", reason: `credentials: ${errorMessage(err)}` };
    }
    const all: Record<string, string> = { ...c.headers, ...headers, "content-length": String(body.length), "user-agent": "eastwest-collector" };
    if (auth !== undefined) all["authorization"] = auth;
    return new Promise<SendOutcome>((resolve) => {
      const send = https ? httpsRequest : httpRequest;
      const req = send(url, { method: "POST", headers: all, timeout: c.timeoutMs, ...(ca ? { ca } : {}), ...(signal ? { signal } : {}) }, (res) => answer(res, resolve));
      req.on("timeout", () => req.destroy(new Error(`no answer within ${c.timeoutMs} ms`)));
      req.on("error", (err) => resolve({ kind: "retryable", reason: errorMessage(err) }));
      req.end(body);
    });
  };
}

function authorization(c: SinkConfig): string | undefined {
  if (c.bearerTokenFile !== "") return `Bearer ${readFileSync(c.bearerTokenFile, "utf8").trim()}`;
  if (c.basicAuth !== undefined) {
    const password = readFileSync(c.basicAuth.passwordFile, "utf8").replace(/\r?\n$/, "");
    return `Basic ${Buffer.from(`${c.basicAuth.username}:${password}`).toString("base64")}`;
  }
  return undefined;
}

function answer(res: IncomingMessage, resolve: (o: SendOutcome) => void): void {
  const chunks: Buffer[] = [];
  let kept = 0;
  res.on("data", (c: Buffer) => {
    if (kept < MAX_REASON) chunks.push(c);
    kept += c.length;
  });
  res.on("error", (err) => resolve({ kind: "retryable", reason: errorMessage(err) }));
  res.on("end", () => resolve(classify(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8").slice(0, MAX_REASON).trim(), res.headers["retry-after"])));
}

/** 2xx ok; 429 and 5xx retryable (Retry-After honoured); anything else rejected. Pure. */
export function classify(status: number, text: string, retryAfter?: string, nowMs = Date.now()): SendOutcome {
  if (status >= 200 && status < 300) return { kind: "ok", status };
  const reason = `HTTP ${status}${text === "" ? "" : `: ${text}`}`;
  if (status === 429 || status >= 500) {
    const afterMs = retryAfterMs(retryAfter, nowMs);
    return afterMs === undefined ? { kind: "retryable", reason } : { kind: "retryable", reason, afterMs };
  }
  return { kind: "rejected", status, reason };
}

/** Retry-After as delay-seconds or an HTTP date, in ms (capped); undefined when absent or unreadable. */
export function retryAfterMs(v: string | undefined, nowMs: number): number | undefined {
  if (v === undefined || v.trim() === "") return undefined;
  const s = v.trim();
  const ms = /^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s) - nowMs;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}
