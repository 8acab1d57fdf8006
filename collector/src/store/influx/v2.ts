// InfluxDB v2 write API (POST /api/v2/write?org=&bucket=&precision=) through
// @influxdata/influxdb-client's WriteApi. Served by InfluxDB 2.x, 3.x, 1.8+ and
// VictoriaMetrics.
//
// The WriteApi is made to report, not to buffer: one WriteApi per send, whose
// batchSize and maxBatchBytes are never reached (no background send whose
// failure flush() would not see), no flush timer, and no retry buffer
// (maxRetries 0, and writeFailed hands the error to the flush promise). So the
// flush() promise is the outcome of exactly these lines; retrying is
// RetryingTransport's job, which also reads Retry-After as seconds.
import { HttpError, InfluxDB, type WriteApi } from "@influxdata/influxdb-client";
import { classifyHttp, networkFailure, type InfluxTransport, type SendResult } from "./transport.ts";
import type { Precision } from "./line-protocol.ts";

export interface V2Options {
  /** Base URL, e.g. http://127.0.0.1:8086. */
  url: string;
  /** API token; "" sends none (VictoriaMetrics; InfluxDB 1.8 takes "user:password"). */
  token: string;
  org: string;
  bucket: string;
  precision: Precision;
  timeoutMs: number;
}

export class V2Transport implements InfluxTransport {
  readonly #client: InfluxDB;
  readonly #o: V2Options;
  readonly #open = new Set<WriteApi>();
  #closed = false;

  constructor(o: V2Options) {
    this.#o = o;
    this.#client = new InfluxDB({ url: o.url, token: o.token === "" ? undefined : o.token, timeout: o.timeoutMs });
  }

  async send(lines: readonly string[]): Promise<SendResult> {
    if (this.#closed) return { kind: "retryable", reason: "store closing" };
    const api = this.#client.getWriteApi(this.#o.org, this.#o.bucket, this.#o.precision, {
      batchSize: lines.length + 1,
      maxBatchBytes: Number.POSITIVE_INFINITY,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: lines.length + 1,
      writeFailed: (err: Error) => Promise.reject(err),
    });
    this.#open.add(api);
    try {
      api.writeRecords(lines as string[]);
      await api.flush();
      return { kind: "ok" };
    } catch (err) {
      return fromError(err);
    } finally {
      this.#open.delete(api);
      api.dispose();
    }
  }

  /** Further sends answer "retryable"; a request in flight runs to its end or its timeout. Safe twice. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const api of this.#open) api.dispose();
  }
}

function fromError(err: unknown): SendResult {
  if (err instanceof HttpError) {
    // why: the WriteApi calls every answer but 201 and 204 an error; other 2xx still mean written.
    if (err.statusCode >= 200 && err.statusCode < 300) return { kind: "ok" };
    const retryAfter = header(err.headers?.["retry-after"]);
    return classifyHttp(err.statusCode, err.body ?? err.message, retryAfter, Date.now());
  }
  return networkFailure(err);
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
