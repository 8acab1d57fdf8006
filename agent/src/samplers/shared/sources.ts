// Reading sources through the context, with operator-facing failures.
import { CommandError, UnavailableError, errorMessage } from "@eastwest/common";
import type { Availability, SampleContext } from "../types.ts";

/** Reads /proc/<rel>; a failure becomes UnavailableError naming the file. */
export async function readProc(ctx: SampleContext, rel: string): Promise<string> {
  try {
    return await ctx.fs.proc(rel);
  } catch (err) {
    throw new UnavailableError(`/proc/${rel} not readable: ${errorMessage(err)}`, { cause: err });
  }
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

/** The tool's binary is missing (as opposed to the tool failing). */
export function isNotFound(err: unknown): boolean {
  if (!(err instanceof CommandError)) return false;
  const cause = err.cause as NodeJS.ErrnoException | undefined;
  return cause?.code === "ENOENT" || err.message.endsWith(": not found");
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
