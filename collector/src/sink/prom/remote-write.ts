// The Prometheus remote-write 1.0 request: prometheus.WriteRequest in protobuf, snappy block-compressed. Pure.
//
//   message WriteRequest { repeated TimeSeries timeseries = 1; }
//   message TimeSeries  { repeated Label labels = 1; repeated Sample samples = 2; }
//   message Label       { string name = 1; string value = 2; }
//   message Sample      { double value = 1; int64 timestamp = 2; }   // timestamp: Unix epoch ms
//
// Hand-encoded (five fields): test/unit/sink/remote-write.test.ts decodes it with protobufjs.
/// <reference path="./snappyjs.d.ts" />
import snappy from "snappyjs";
import type { Label } from "./labels.ts";

export interface TimeSeries {
  labels: readonly Label[];
  /** Ascending by timestampMs. */
  samples: ReadonlyArray<{ value: number; timestampMs: bigint }>;
}

/** The headers remote-write 1.0 requires. */
export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/x-protobuf",
  "content-encoding": "snappy",
  "x-prometheus-remote-write-version": "0.1.0",
};

class Writer {
  #buf = new Uint8Array(1024);
  #len = 0;

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  byte(b: number): void {
    this.#room(1);
    this.#buf[this.#len++] = b;
  }

  /** An unsigned varint; a negative int64 as its two's complement (10 bytes). */
  varint(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      this.byte(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.byte(Number(x));
  }

  smallVarint(v: number): void {
    while (v >= 0x80) {
      this.byte((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    this.byte(v);
  }

  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  double(v: number): void {
    this.#room(8);
    new DataView(this.#buf.buffer, this.#buf.byteOffset + this.#len, 8).setFloat64(0, v, true);
    this.#len += 8;
  }

  /** A length-delimited field whose content `inner` writes. */
  message(field: number, inner: (w: Writer) => void): void {
    const w = new Writer();
    inner(w);
    this.smallVarint((field << 3) | 2);
    const body = w.finish();
    this.smallVarint(body.length);
    this.bytes(body);
  }

  string(field: number, s: string): void {
    const b = Buffer.from(s, "utf8");
    this.smallVarint((field << 3) | 2);
    this.smallVarint(b.length);
    this.bytes(b);
  }

  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}

/** The WriteRequest's protobuf bytes (uncompressed). */
export function encodeWriteRequest(series: readonly TimeSeries[]): Uint8Array {
  const w = new Writer();
  for (const ts of series) {
    w.message(1, (t) => {
      for (const l of ts.labels) {
        t.message(1, (lw) => {
          lw.string(1, l.name);
          lw.string(2, l.value);
        });
      }
      for (const s of ts.samples) {
        t.message(2, (sw) => {
          sw.byte((1 << 3) | 1);
          sw.double(s.value);
          sw.byte(2 << 3);
          sw.varint(s.timestampMs);
        });
      }
    });
  }
  return w.finish();
}

/** The request body: the WriteRequest, snappy block format. */
export function compressBody(raw: Uint8Array): Uint8Array {
  return new Uint8Array(snappy.compress(Buffer.from(raw.buffer, raw.byteOffset, raw.length)));
}
