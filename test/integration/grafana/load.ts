// Loads a real influxd with what a collector stored: every point of every schema measurement in an
// embedded store, as line protocol (the collector's own encoder), through the v1 /write endpoint.
import { allMeasurements, type FieldValue, type Sample } from "@eastwest/common";
import { toLine } from "@eastwest/collector/store/line-protocol";
import type { Store } from "@eastwest/collector/store/types";

const INT64_MAX = (1n << 63n) - 1n;

/** Every stored point, as Samples (null columns dropped). */
export async function storedSamples(store: Store): Promise<Sample[]> {
  const out: Sample[] = [];
  for (const m of allMeasurements().keys()) {
    for (const s of await store.query({ measurement: m, fromNs: 0n, toNs: INT64_MAX })) {
      for (const row of s.values) {
        const fields: Record<string, FieldValue> = {};
        s.columns.forEach((c, i) => {
          const v = row[i];
          if (i > 0 && v !== null && v !== undefined) fields[c] = v as FieldValue;
        });
        out.push({ measurement: m, tags: s.tags, fields, timeNs: row[0] as bigint });
      }
    }
  }
  return out;
}

/** Line protocol at ns precision, uint fields as InfluxDB 1.x integers; throws on a point it cannot encode. */
export function linesOf(samples: readonly Sample[]): string[] {
  return samples.map((s) => {
    const l = toLine(s, { precision: "ns", uint: "integer" });
    if (!l.ok) throw new Error(`${s.measurement}: ${l.reason}`);
    return l.line;
  });
}

/** POSTs the lines to /write in chunks; throws with the server's message on a rejected chunk. */
export async function writeLines(url: string, db: string, lines: readonly string[], chunk = 5000): Promise<void> {
  for (let i = 0; i < lines.length; i += chunk) {
    const res = await fetch(`${url}/write?${new URLSearchParams({ db, precision: "ns" })}`, { method: "POST", body: lines.slice(i, i + chunk).join("\n") });
    if (res.status !== 204) throw new Error(`influxd /write: HTTP ${res.status}: ${await res.text()}`);
  }
}
