// Independent decoders for the sinks' requests (protobufjs, schemas written from the public .proto files):
// Prometheus remote-write 1.0 (prompb WriteRequest) and OTLP ExportMetricsServiceRequest (opentelemetry-proto
// v1 metrics, the fields eastwest sends). Used to check what the collector's hand encoding and the OpenTelemetry
// serializer put on the wire.
import protobuf from "protobufjs";

const remoteWrite = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: { fields: { timeseries: { rule: "repeated", type: "TimeSeries", id: 1 } } },
        TimeSeries: { fields: { labels: { rule: "repeated", type: "Label", id: 1 }, samples: { rule: "repeated", type: "Sample", id: 2 } } },
        Label: { fields: { name: { type: "string", id: 1 }, value: { type: "string", id: 2 } } },
        Sample: { fields: { value: { type: "double", id: 1 }, timestamp: { type: "int64", id: 2 } } },
      },
    },
  },
});

const kv = { fields: { key: { type: "string", id: 1 }, value: { type: "AnyValue", id: 2 } } };
const otlp = protobuf.Root.fromJSON({
  nested: {
    otlp: {
      nested: {
        ExportMetricsServiceRequest: { fields: { resourceMetrics: { rule: "repeated", type: "ResourceMetrics", id: 1 } } },
        ResourceMetrics: { fields: { resource: { type: "Resource", id: 1 }, scopeMetrics: { rule: "repeated", type: "ScopeMetrics", id: 2 } } },
        Resource: { fields: { attributes: { rule: "repeated", type: "KeyValue", id: 1 } } },
        ScopeMetrics: { fields: { scope: { type: "Scope", id: 1 }, metrics: { rule: "repeated", type: "Metric", id: 2 } } },
        Scope: { fields: { name: { type: "string", id: 1 }, version: { type: "string", id: 2 } } },
        Metric: { fields: { name: { type: "string", id: 1 }, description: { type: "string", id: 2 }, unit: { type: "string", id: 3 }, gauge: { type: "Gauge", id: 5 }, sum: { type: "Sum", id: 7 } } },
        Gauge: { fields: { dataPoints: { rule: "repeated", type: "NumberDataPoint", id: 1 } } },
        Sum: { fields: { dataPoints: { rule: "repeated", type: "NumberDataPoint", id: 1 }, aggregationTemporality: { type: "int32", id: 2 }, isMonotonic: { type: "bool", id: 3 } } },
        NumberDataPoint: {
          fields: {
            attributes: { rule: "repeated", type: "KeyValue", id: 7 },
            startTimeUnixNano: { type: "fixed64", id: 2 },
            timeUnixNano: { type: "fixed64", id: 3 },
            asDouble: { type: "double", id: 4 },
            asInt: { type: "sfixed64", id: 6 },
          },
        },
        KeyValue: kv,
        AnyValue: { fields: { stringValue: { type: "string", id: 1 }, boolValue: { type: "bool", id: 2 }, intValue: { type: "int64", id: 3 }, doubleValue: { type: "double", id: 4 } } },
      },
    },
  },
});

export interface DecodedSeries {
  labels: Array<{ name: string; value: string }>;
  samples: Array<{ value: number; timestamp: bigint }>;
}

const asBig = (v: unknown): bigint => BigInt(String(v ?? 0));

/** A WriteRequest's series (the body already uncompressed). */
export function decodeWriteRequest(raw: Uint8Array): DecodedSeries[] {
  const msg = remoteWrite.lookupType("prometheus.WriteRequest").decode(raw);
  const obj = remoteWrite.lookupType("prometheus.WriteRequest").toObject(msg, { longs: String, defaults: true }) as { timeseries: Array<{ labels: DecodedSeries["labels"]; samples: Array<{ value: number; timestamp: string }> }> };
  return obj.timeseries.map((t) => ({ labels: t.labels, samples: t.samples.map((s) => ({ value: s.value, timestamp: asBig(s.timestamp) })) }));
}

/** One data point of an OTLP request, flattened. */
export interface DecodedPoint {
  resource: Record<string, string>;
  scope: string;
  metric: string;
  unit: string;
  type: "sum" | "gauge";
  monotonic: boolean;
  temporality: number;
  attributes: Record<string, string>;
  startNs: bigint;
  timeNs: bigint;
  value: number;
  integer: boolean;
}

type AnyKv = Array<{ key: string; value?: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean } }>;

export function kvs(list: AnyKv | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of list ?? []) out[key] = String(value?.stringValue ?? value?.intValue ?? value?.doubleValue ?? value?.boolValue ?? "");
  return out;
}

/** Every data point of an ExportMetricsServiceRequest, protobuf or (already parsed) OTLP/JSON. */
export function otlpPoints(body: Uint8Array | unknown): DecodedPoint[] {
  let req: any = body;
  if (body instanceof Uint8Array) {
    const t = otlp.lookupType("otlp.ExportMetricsServiceRequest");
    req = t.toObject(t.decode(body), { longs: String, defaults: false, oneofs: false });
  }
  const out: DecodedPoint[] = [];
  for (const rm of req.resourceMetrics ?? []) {
    const resource = kvs(rm.resource?.attributes);
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const data = m.sum ?? m.gauge;
        for (const dp of data?.dataPoints ?? []) {
          const integer = dp.asInt !== undefined;
          out.push({
            resource,
            scope: sm.scope?.name ?? "",
            metric: m.name,
            unit: m.unit ?? "",
            type: m.sum ? "sum" : "gauge",
            monotonic: m.sum?.isMonotonic === true,
            temporality: Number(m.sum?.aggregationTemporality ?? 0),
            attributes: kvs(dp.attributes),
            startNs: asBig(dp.startTimeUnixNano),
            timeNs: asBig(dp.timeUnixNano),
            value: integer ? Number(dp.asInt) : Number(dp.asDouble ?? 0),
            integer,
          });
        }
      }
    }
  }
  return out;
}
