// A minimal OTLP/HTTP JSON receiver for tests: accepts POST /v1/traces and
// /v1/metrics on a random loopback port, keeps every body, answers 200 "{}".
import { createServer, type Server } from "node:http";

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };
type KeyValue = { key: string; value: AnyValue };

export interface OtlpRequest {
  path: string;
  contentType: string;
  body: unknown;
}

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: Record<string, string | number | boolean>;
  statusCode: number;
}

export interface ReceivedPoint {
  service: string;
  metric: string;
  value: number;
}

export class OtlpReceiver {
  readonly requests: OtlpRequest[] = [];
  #server: Server | undefined;

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // kept as text: the test asserts on JSON
        }
        this.requests.push({ path: req.url ?? "", contentType: req.headers["content-type"] ?? "", body });
        res.writeHead(req.method === "POST" ? 200 : 405, { "content-type": "application/json" });
        res.end("{}");
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, "127.0.0.1", resolve));
    const addr = this.#server.address() as { port: number };
    return `http://127.0.0.1:${addr.port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }

  spans(): ReceivedSpan[] {
    const out: ReceivedSpan[] = [];
    for (const r of this.requests.filter((q) => q.path === "/v1/traces")) {
      for (const rs of (r.body as { resourceSpans?: any[] }).resourceSpans ?? []) {
        const service = String(attrs(rs.resource?.attributes)["service.name"] ?? "");
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) out.push({ service, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? "", name: s.name, attributes: attrs(s.attributes), statusCode: s.status?.code ?? 0 });
        }
      }
    }
    return out;
  }

  /** Every data point of every sum or gauge, newest last. */
  points(): ReceivedPoint[] {
    const out: ReceivedPoint[] = [];
    for (const r of this.requests.filter((q) => q.path === "/v1/metrics")) {
      for (const rm of (r.body as { resourceMetrics?: any[] }).resourceMetrics ?? []) {
        const service = String(attrs(rm.resource?.attributes)["service.name"] ?? "");
        for (const sm of rm.scopeMetrics ?? []) {
          for (const m of sm.metrics ?? []) {
            for (const dp of (m.sum ?? m.gauge)?.dataPoints ?? []) out.push({ service, metric: m.name, value: Number(dp.asDouble ?? dp.asInt ?? NaN) });
          }
        }
      }
    }
    return out;
  }

  /** The newest value of a metric from a service, or undefined. */
  latest(service: string, metric: string): number | undefined {
    return this.points().filter((p) => p.service === service && p.metric === metric).at(-1)?.value;
  }
}

function attrs(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of list ?? []) {
    const v = kv.value;
    out[kv.key] = v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue ?? "";
  }
  return out;
}
