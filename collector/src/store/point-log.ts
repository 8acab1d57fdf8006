// The point log: every stored point in the order the store committed it, read by the sinks (../sink/). A position
// is an opaque, increasing integer (the embedded file's row id of the point); 0n is "before the first point".
//
// Contract: a point committed after another has a larger position; readAfter(pos) returns points with positions
// above pos, ascending; a point removed by retention is simply absent. Reads reject with StoreError on failure.
// Every store kind has one: the ledger's SQLite file holds every point (store.kind embedded) or a copy of every
// point InfluxDB took (store.kind influx), so the log is the same whatever the backend.
import type { FieldValue } from "@eastwest/common";

/** One logged point. */
export interface LogPoint {
  /** Position in the log. */
  pos: bigint;
  measurement: string;
  tags: Readonly<Record<string, string>>;
  /** Unix epoch ns. */
  timeNs: bigint;
  fields: Readonly<Record<string, FieldValue>>;
}

export interface PointLog {
  /** Up to `limit` points with positions above `after` and at most `upTo` (when given), ascending. */
  readAfter(after: bigint, limit: number, upTo?: bigint): Promise<LogPoint[]>;
  /** The highest position written so far; 0n when the log is empty. */
  head(): Promise<bigint>;
}
