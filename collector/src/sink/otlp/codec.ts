// The OTLP codec (../types.ts SinkCodec): stored points -> one ExportMetricsServiceRequest per resource (agent),
// serialized by the OpenTelemetry packages (common/src/telemetry/metrics-request.ts).
//
// Names and values are GET /metrics' (common/src/prom), so an OTLP backend that translates to Prometheus names
// (adding `_total` to monotonic sums) shows the same series: a counter family is a cumulative monotonic sum named
// without `_total`; a gauge is a gauge; values in base units. Each data point keeps the point's own time; the start
// of a cumulative sum is not known to the collector and is sent as 0 (unknown), as OTLP allows.
// Resource per agent: service.name "eastwest", and the point's agent_id and host tags (service.instance.id =
// agent_id); every other non-empty tag is a data point attribute.
import { loadMetricsRequest, type OtlpEncoding, type OtlpMetric, type OtlpResourceMetrics } from "@eastwest/common/telemetry";
import { VERSION } from "@eastwest/common/process";
import type { Family } from "@eastwest/common/prom";
import type { LogPoint } from "../../store/point-log.ts";
import { sampleValue, schemaFamilies } from "../prom/labels.ts";
import type { SinkCodec, SinkRequest } from "../types.ts";

export const RESOURCE_TAGS = ["agent_id", "host"] as const;

/** UCUM units of the exposed name's suffix; "" when it has none of these. */
export function unitOf(name: string): string {
  if (name.endsWith("_bytes_per_second")) return "By/s";
  if (name.endsWith("_per_second")) return "1/s";
  if (name.endsWith("_seconds")) return "s";
  if (name.endsWith("_bytes")) return "By";
  if (name.endsWith("_ratio")) return "1";
  return "";
}

function otlpName(f: Family): string {
  return f.type === "counter" ? f.omName : f.name;
}

interface Group {
  resource: Record<string, string>;
  metrics: Map<Family, OtlpMetric>;
}

/** The resources of a set of stored points, each with its metrics in first-seen order. Pure. */
export function toResourceMetrics(points: readonly LogPoint[]): { resources: OtlpResourceMetrics[]; samples: number[] } {
  const groups = new Map<string, Group>();
  for (const p of points) {
    const fams = schemaFamilies().byMeasurement.get(p.measurement);
    if (fams === undefined) continue;
    const resource: Record<string, string> = { "service.name": "eastwest" };
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(p.tags)) {
      if (v === "") continue;
      if ((RESOURCE_TAGS as readonly string[]).includes(k)) resource[k] = v;
      else attributes[k] = v;
    }
    if (resource["agent_id"] !== undefined) resource["service.instance.id"] = resource["agent_id"];
    const key = JSON.stringify(resource);
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { resource, metrics: new Map() }));
    for (const [field, raw] of Object.entries(p.fields)) {
      const f = fams.get(field);
      const value = f === undefined ? undefined : sampleValue(raw, f.scale);
      if (f === undefined || value === undefined) continue;
      let m = g.metrics.get(f);
      if (m === undefined) {
        const integer = (f.fieldType === "int" || f.fieldType === "uint" || f.fieldType === "bool") && f.scale === 1;
        m = { name: otlpName(f), description: f.help, unit: unitOf(otlpName(f)), kind: f.type === "counter" ? "sum" : "gauge", monotonic: f.type === "counter", integer, points: [] };
        g.metrics.set(f, m);
      }
      m.points.push({ attributes, timeNs: p.timeNs, startNs: 0n, value });
    }
  }
  const resources: OtlpResourceMetrics[] = [];
  const samples: number[] = [];
  for (const g of groups.values()) {
    if (g.metrics.size === 0) continue;
    const metrics = [...g.metrics.values()];
    resources.push({ resource: g.resource, scope: { name: "eastwest-collector", version: VERSION }, metrics });
    samples.push(metrics.reduce((n, m) => n + m.points.length, 0));
  }
  return { resources, samples };
}

/** The codec for one encoding; loads the serializer (and the SDK's metric packages) once. */
export async function otlpCodec(encoding: OtlpEncoding): Promise<SinkCodec> {
  const { serializeMetricsRequest, OTLP_CONTENT_TYPES } = await loadMetricsRequest();
  return {
    headers: { "content-type": OTLP_CONTENT_TYPES[encoding] },
    encode(points: readonly LogPoint[]): SinkRequest[] {
      const { resources, samples } = toResourceMetrics(points);
      return resources.map((r, i) => ({ body: serializeMetricsRequest(r, encoding), samples: samples[i] ?? 0 }));
    },
  };
}
