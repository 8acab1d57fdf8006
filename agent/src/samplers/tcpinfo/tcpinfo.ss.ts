// tcpinfo's ss backend: `ss -tinH <filter>`, a process per read, so it runs at most every minIntervalMs and only
// after a cheap /proc/net/tcp{,6} pre-check found a matching socket.
import { errorMessage } from "@eastwest/common";
import type { Availability, SampleContext } from "../types.ts";
import { isNotFound } from "../../host/tool.ts";
import { ssArgs, type FlowSelector } from "../../host/ss.filter.ts";
import { anySocketMatches, parseProcNetTcp } from "./tcpinfo.proc.ts";
import { parseSs, type SsOutput } from "./tcpinfo.parse.ts";
import { ReadPacer, type PaceOptions } from "./tcpinfo.pace.ts";

export async function probeSs(ctx: SampleContext): Promise<Availability> {
  try {
    await ctx.exec("ss", ["-V"], { signal: ctx.signal, timeoutMs: 5000 });
    return { available: true };
  } catch (err) {
    return { available: false, reason: isNotFound(err) ? "unavailable: ss not found" : `unavailable: ss -V failed: ${errorMessage(err)}` };
  }
}

/** Longest line of /proc/net/tcp6 (tcp4 lines are 150 bytes), with room to spare. */
const PROC_TCP_LINE_MAX = 512;

/** True when /proc/net/tcp{,6} holds a matching socket, or when it cannot be read (then ss decides). */
async function socketsPresent(ctx: SampleContext, flows: readonly FlowSelector[]): Promise<boolean> {
  const read = (f: string) => ctx.fs.proc(f, { recordsUnder: PROC_TCP_LINE_MAX }).catch(() => undefined);
  const texts = await Promise.all(["net/tcp", "net/tcp6"].map(read));
  if (texts.every((t) => t === undefined)) return true;
  return texts.some((t) => t !== undefined && anySocketMatches(parseProcNetTcp(t), flows));
}

export interface SsRead extends PaceOptions {
  flows: readonly FlowSelector[];
}

/** "throttled": nothing read this tick (keep rate memory); "none": no matching socket; else ss's output. */
export type SsResult = { kind: "throttled" } | { kind: "none" } | { kind: "read"; output: SsOutput };

export class SsReader {
  // why: measured on a 2-core host, ss at 10 Hz (a fork of the agent each time) cost ~10 % of a core and
  // about half of the agent's perturbation of a saturated iperf3; TCP_INFO at 2 Hz is enough for a run.
  readonly #pace = new ReadPacer();
  // why: while ss's last run (for these flows) found sockets, ss itself is the check: the /proc pre-check would
  // only confirm them, at the cost of two walks of the whole TCP hash table per file.
  #foundFlows: string | undefined;

  async read(ctx: SampleContext, o: SsRead): Promise<SsResult> {
    const key = o.flowsKey;
    if (!this.#pace.due(ctx.nowNs, ctx.intervalMs, o)) return { kind: "throttled" };
    if (this.#foundFlows !== key && !(await socketsPresent(ctx, o.flows))) {
      this.#pace.nothing(ctx.nowNs, key);
      return { kind: "none" };
    }
    this.#pace.reading(ctx.nowNs);
    const { stdout } = await ctx.exec("ss", ssArgs(o.flows), { signal: ctx.signal });
    const output = parseSs(stdout);
    this.#foundFlows = output.flows.length > 0 ? key : undefined;
    return { kind: "read", output };
  }
}
