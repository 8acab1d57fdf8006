// InfluxDB 1.x write endpoint: POST /write?db=&rp=&precision= with line protocol.
// Also served by InfluxDB 2.x/3.x (v1 compatibility) and VictoriaMetrics.
import { classifyHttp, networkFailure, type InfluxTransport, type SendResult } from "./transport.ts";
import type { Precision } from "./line-protocol.ts";

export interface V1Options {
  /** Base URL, e.g. http://127.0.0.1:8086 (a path prefix is kept). */
  url: string;
  db: string;
  /** Retention policy; "" for the database's default. */
  rp: string;
  /** Basic auth when set. */
  username: string;
  password: string;
  /** "Authorization: Token" when set and no username is (InfluxDB 1.8+ and 2.x v1 compatibility). */
  token: string;
  precision: Precision;
  timeoutMs: number;
}

const V1_PRECISION: Record<Precision, string> = { ns: "n", us: "u", ms: "ms", s: "s" };

export class V1Transport implements InfluxTransport {
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #closing = new AbortController();

  constructor(o: V1Options) {
    const q = new URLSearchParams({ db: o.db, precision: V1_PRECISION[o.precision] });
    if (o.rp !== "") q.set("rp", o.rp);
    this.#url = `${o.url.replace(/\/+$/, "")}/write?${q}`;
    this.#headers = { "content-type": "text/plain; charset=utf-8" };
    if (o.username !== "") this.#headers["authorization"] = `Basic ${Buffer.from(`${o.username}:${o.password}`).toString("base64")}`;
    else if (o.token !== "") this.#headers["authorization"] = `Token ${o.token}`;
    this.#timeoutMs = o.timeoutMs;
  }

  async send(lines: readonly string[]): Promise<SendResult> {
    if (this.#closing.signal.aborted) return { kind: "retryable", reason: "store closing" };
    const signal = AbortSignal.any([this.#closing.signal, AbortSignal.timeout(this.#timeoutMs)]);
    try {
      const res = await fetch(this.#url, { method: "POST", headers: this.#headers, body: lines.join("\n"), signal });
      const body = await res.text();
      if (res.ok) return { kind: "ok" };
      return classifyHttp(res.status, body, res.headers.get("retry-after"), Date.now());
    } catch (err) {
      return networkFailure(err);
    }
  }

  async close(): Promise<void> {
    this.#closing.abort();
  }
}
