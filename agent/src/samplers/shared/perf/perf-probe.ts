// One short `perf stat -x,` run through ctx.exec, for init() probes: the records, or why perf cannot count.
import { CommandError, errorMessage } from "@eastwest/common";
import type { SampleContext } from "../../types.ts";
import { isNotFound } from "../../../host/tool.ts";
import { excerpt } from "../../../host/text.ts";
import { parsePerfStat, type PerfStatRecord } from "./perf-stat.parse.ts";
import { perfFailureReason } from "../../../host/perf.failure.ts";

export type PerfProbe = { ok: true; records: PerfStatRecord[] } | { ok: false; reason: string };

const PROBE_TIMEOUT_MS = 10_000;

/** Reason for a missing perf binary; the package name is Debian's. */
export const PERF_NOT_FOUND = "perf not found (install linux-perf)";

/** Runs `perf stat -x, <args>` (no -I); perf prints its counts on stderr. */
export async function perfStatOnce(ctx: SampleContext, args: readonly string[]): Promise<PerfProbe> {
  let stderr: string;
  try {
    stderr = (await ctx.exec("perf", ["stat", "-x,", ...args], { signal: ctx.signal, timeoutMs: PROBE_TIMEOUT_MS })).stderr;
  } catch (err) {
    if (isNotFound(err)) return { ok: false, reason: PERF_NOT_FOUND };
    const text = err instanceof CommandError ? err.stderr : "";
    return { ok: false, reason: perfFailureReason(text) ?? `perf stat ${args.join(" ")} failed: ${errorMessage(err)}` };
  }
  const reason = perfFailureReason(stderr);
  try {
    const { records } = parsePerfStat(stderr, { interval: false });
    if (records.length > 0) return { ok: true, records };
  } catch {
    // no CSV line at all: fall through with what perf said
  }
  return { ok: false, reason: reason ?? `perf stat ${args.join(" ")} printed no counts: ${excerpt(stderr.split("\n")[0] ?? "")}` };
}

/** "<not supported>" / "<not counted>" as perf prints them, for reasons. */
export function statusText(status: PerfStatRecord["status"]): string {
  return status === "not_supported" ? "<not supported>" : status === "not_counted" ? "<not counted>" : "counted";
}
