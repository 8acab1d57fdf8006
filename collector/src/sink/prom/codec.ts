// The remote-write codec (../types.ts SinkCodec): stored points -> one WriteRequest per call, samples grouped per
// series and sorted by time (ms). Two samples of one series in the same millisecond: the later stored is kept (a
// receiver refuses two values at one timestamp). Pure.
import type { LogPoint } from "../../store/point-log.ts";
import type { SinkCodec, SinkRequest } from "../types.ts";
import { pointSamples, type Label } from "./labels.ts";
import { compressBody, encodeWriteRequest, REMOTE_WRITE_HEADERS, type TimeSeries } from "./remote-write.ts";

interface Building {
  labels: Label[];
  byMs: Map<bigint, number>;
}

/** The series of a set of stored points, in first-seen order, samples ascending by time. */
export function toTimeSeries(points: readonly LogPoint[]): { series: TimeSeries[]; samples: number } {
  const all = new Map<string, Building>();
  for (const p of points) {
    const ms = p.timeNs / 1_000_000n;
    for (const s of pointSamples(p.measurement, p.tags, p.fields)) {
      let b = all.get(s.key);
      if (b === undefined) all.set(s.key, (b = { labels: s.labels, byMs: new Map() }));
      b.byMs.set(ms, s.value);
    }
  }
  const series: TimeSeries[] = [];
  let samples = 0;
  for (const b of all.values()) {
    const list = [...b.byMs].map(([timestampMs, value]) => ({ timestampMs, value })).sort((x, y) => (x.timestampMs < y.timestampMs ? -1 : x.timestampMs > y.timestampMs ? 1 : 0));
    samples += list.length;
    series.push({ labels: b.labels, samples: list });
  }
  return { series, samples };
}

export const remoteWriteCodec: SinkCodec = {
  headers: REMOTE_WRITE_HEADERS,
  encode(points: readonly LogPoint[]): SinkRequest[] {
    const { series, samples } = toTimeSeries(points);
    if (samples === 0) return [];
    return [{ body: compressBody(encodeWriteRequest(series)), samples }];
  },
};
