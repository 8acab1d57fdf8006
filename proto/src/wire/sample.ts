// The in-process shape of one sample, as the wire codec (encode.ts, decode.ts) reads and writes it; common
// re-exports these types as its point model.
// number -> double field; bigint -> integer field (uint64 when >= 0, else int64); boolean and string as such.
// Counters stay bigint.
export type FieldValue = number | bigint | boolean | string;

export interface Sample {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  timeNs: bigint; // Unix epoch nanoseconds
}
