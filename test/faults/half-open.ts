// Scenario 8: half-open connections. While two agents stream, `connections` raw TCP connections to the gRPC port
// open and go silent: a bad HTTP/2 preface, a bad header block, a bare or partial preface, or nothing at all. The
// collector (grpc.maxConnectionIdleMs = idleMs) must close every one within the bound the README states (see
// reapBoundMs), keep /healthz answering and its open files bounded, and leave the agents' streams alone (no
// reconnect).
import { readdirSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { waitFor } from "../helpers/procs.ts";
import { finish, notesOf, nowNs, rowOf, TARGET } from "./report.ts";
import { FaultStack } from "./stack.ts";
import { delay, HealthProbe, untilStored } from "./steps.ts";
import type { FaultOptions, FaultOutcome, Scenario } from "./types.ts";
import { OPENINGS } from "../fuzz/openings.ts";

const NAME = "half-open";
/** Reaping is checked against the idle time plus this (timers, a busy host). */
const MARGIN_MS = 3000;
// why: measured with grpc-js 1.14: a few connections close at the idle time, a burst of hundreds at about twice
// it (or at keepaliveTimeMs + keepaliveTimeoutMs when that is sooner). grpc-js arms each session's idle timer on
// the event loop's clock of the turn but stamps its lastIdle with Date.now() later in that busy turn, so the
// first firing finds less than the idle time elapsed and waits a whole period again.
const BURST = "a burst of connections is reaped at about twice grpc.maxConnectionIdleMs (grpc-js re-arms its idle timer when it fires a little before the idle time it measures), or at keepaliveTimeMs + keepaliveTimeoutMs when sooner";
/** The collector's defaults for the keepalive that also reaps a silent connection (collector/src/config.ts). */
const KEEPALIVE_MS = 30_000 + 10_000;
/**
 * The stated bound: min(2 x idle, keepaliveTimeMs + keepaliveTimeoutMs) plus the margin. The grpc-js maintainers
 * acknowledge that a connection can take about double the configured idle timeout to go idle (grpc/grpc-node
 * pull request 2790, which triples the wait in their own idle tests).
 */
export const reapBoundMs = (idleMs: number) => Math.min(2 * idleMs, KEEPALIVE_MS) + MARGIN_MS;
const RECONNECT = /reconnecting|collector unreachable/g;

const openFiles = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** Opens n silent connections; resolves, per kind of opening, the slowest time from opening until the collector closed it (ms). */
async function silentConnections(port: number, n: number, sockets: Socket[]): Promise<Record<string, number>> {
  const kinds = Object.keys(OPENINGS);
  const slowest: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const kind = kinds[i % kinds.length] as string;
      const opened = Date.now();
      return new Promise<void>((resolve) => {
        const s = connect(port, "127.0.0.1", () => s.write(OPENINGS[kind] as Buffer));
        sockets.push(s);
        s.on("data", () => undefined);
        s.on("error", () => undefined);
        s.on("close", () => ((slowest[kind] = Math.max(slowest[kind] ?? 0, Date.now() - opened)), resolve()));
      });
    }),
  );
  return slowest;
}

async function run(o: FaultOptions): Promise<FaultOutcome> {
  const stack = new FaultStack(NAME);
  const sockets: Socket[] = [];
  try {
    const collector = await stack.startCollector({ config: { grpc: { maxConnectionIdleMs: o.idleMs } } });
    const from = nowNs();
    const ids = ["ho-1", "ho-2"];
    for (const id of ids) stack.startAgent(id);
    await Promise.all(ids.map((id) => untilStored(stack.api, id)));
    const started = Date.now();
    const reconnectsBefore = ids.map((id) => stack.agents.get(id)?.stderr().match(RECONNECT)?.length ?? 0);
    const filesBefore = openFiles(collector.pid);
    const health = new HealthProbe(stack.api.http);
    const problems: string[] = [];
    const closed = silentConnections(stack.grpcPort, o.connections, sockets);
    let peakFiles = filesBefore;
    const sampler = setInterval(() => (peakFiles = Math.max(peakFiles, openFiles(collector.pid))), 100);
    const times = await Promise.race([closed, delay(o.idleMs + 20_000).then(() => undefined)]);
    clearInterval(sampler);
    if (times === undefined) problems.push(`not every silent connection was closed within ${o.idleMs + 20_000} ms`);
    const slowest = times ? Math.max(...Object.values(times)) : NaN;
    if (slowest > reapBoundMs(o.idleMs)) problems.push(`the slowest silent connection was closed after ${slowest} ms, beyond the stated bound of ${reapBoundMs(o.idleMs)} ms (idle time ${o.idleMs} ms); ${BURST}`);
    await delay(started + o.seconds * 1000 - Date.now());
    const h = await health.stop();
    if (h.failed > 0) problems.push(`/healthz failed ${h.failed} times (answered ${h.ok})`);
    const filesAfter = await waitFor(() => {
      const n = openFiles(collector.pid);
      return n <= filesBefore + 2 ? n : undefined;
    }, 10_000, `the collector's open files back to ${filesBefore}`).catch(() => openFiles(collector.pid));
    if (filesAfter > filesBefore + 2) problems.push(`the collector holds ${filesAfter} open files, ${filesBefore} before`);
    ids.forEach((id, i) => {
      const n = (stack.agents.get(id)?.stderr().match(RECONNECT)?.length ?? 0) - (reconnectsBefore[i] as number);
      if (n > 0) problems.push(`agent ${id}'s stream broke ${n} times`);
    });
    const tallies = await finish(stack, ids, from, problems);
    const notes = [
      `${NAME}: ${o.connections} silent connections (${Object.keys(OPENINGS).join(", ")}) to the gRPC port while 2 agents streamed at 10 Hz; grpc.maxConnectionIdleMs ${o.idleMs} ms (bound ${reapBoundMs(o.idleMs)} ms); all closed, the slowest after ${slowest} ms (per opening: ${Object.entries(times ?? {}).map(([k, ms]) => `${k} ${ms}`).join(", ")}); the collector's open files ${filesBefore} before, at most ${peakFiles} while they were open, ${filesAfter} after; /healthz answered ${h.ok} times, failed ${h.failed}`,
      ...notesOf(NAME, tallies, stack, problems),
    ];
    return { rows: [rowOf(NAME, tallies, stack, problems, `${TARGET}; closed within min(2 × idle, 40 s) + 3 s`)], notes };
  } finally {
    for (const s of sockets) s.destroy();
    await stack.close();
  }
}

export const halfOpen: Scenario = { name: NAME, summary: "--connections silent TCP/HTTP2 connections to the gRPC port: reaped within min(2 x --idle-ms, keepalive 40 s) + 3 s", run };
