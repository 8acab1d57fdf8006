// Reading sources through the context, with operator-facing failures.
import { UnavailableError, errorMessage } from "@eastwest/common";
import type { Availability, Captured, SampleContext } from "../types.ts";

/** Reads /proc/<rel>; a failure becomes UnavailableError naming the file. */
export async function readProc(ctx: SampleContext, rel: string): Promise<string> {
  try {
    return await ctx.fs.proc(rel);
  } catch (err) {
    throw new UnavailableError(`/proc/${rel} not readable: ${errorMessage(err)}`, { cause: err });
  }
}

/** The texts of /proc files a capture read, in the order asked for. */
export interface CapturedProc extends Captured {
  readonly texts: readonly string[];
  /** When they were read, by the context's readClock (readStamp); absent when the context has none. */
  readonly readNs?: bigint;
}

/** Reads each /proc/<rel> (failures as readProc's) for a capture. */
export async function captureProc(ctx: SampleContext, ...rels: string[]): Promise<CapturedProc> {
  const texts: string[] = [];
  let bytes = 0;
  const stamp = readStamp(ctx);
  for (const rel of rels) {
    const text = await readProc(ctx, rel);
    texts.push(text);
    // why: /proc text is ASCII: one byte per character in a V8 one-byte string, plus the string's header.
    bytes += text.length + 32;
  }
  const readNs = stamp.done();
  return readNs === undefined ? { texts, bytes } : { texts, bytes, readNs };
}

/**
 * Stamps a read by the context's readClock: started before it, done() after it gives the midpoint (the counters'
 * moment, as near as the clock can tell); undefined when the context has no readClock.
 */
export function readStamp(ctx: SampleContext): { done(): bigint | undefined } {
  const clock = ctx.readClock?.bind(ctx);
  const start = clock?.();
  return { done: () => (clock === undefined || start === undefined ? undefined : (start + clock()) / 2n) };
}

/** The time a capture's counters are stepped at for rates: when it was read (captureProc), else the tick's. */
export function readTime(c: Captured, ctx: SampleContext): bigint {
  return (c as CapturedProc).readNs ?? ctx.nowNs;
}

/** The i-th text of a capture made by captureProc. */
export function capturedText(c: Captured, i: number): string {
  const text = (c as CapturedProc).texts?.[i];
  if (typeof text !== "string") throw new Error(`capture holds no text #${i}: not made by captureProc`);
  return text;
}

/** Probes that every /proc/<rel> is readable. */
export async function probeProc(ctx: SampleContext, ...rels: string[]): Promise<Availability> {
  for (const rel of rels) {
    try {
      await ctx.fs.proc(rel);
    } catch (err) {
      return { available: false, reason: `unavailable: /proc/${rel} not readable: ${errorMessage(err)}` };
    }
  }
  return { available: true };
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
