// Dead and half-open gRPC connections are reaped (grpc.maxConnectionIdleMs, keepalive): 200 raw TCP connections
// to a real collector process send a bad HTTP/2 preface, a bad header block, a bare preface, or nothing, and stay
// silent; the collector closes every one within the configured idle time (plus a margin), its open files come
// back to what they were, and /healthz answers throughout. Before these options a bad header block left its
// connection in CLOSE-WAIT for good.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { startCollector, type CollectorProcess } from "../../fuzz/collector.ts";
import { killAll, waitFor } from "../../helpers/procs.ts";
import { OPENINGS } from "../../fuzz/openings.ts";

const IDLE_MS = 1500;

const openFiles = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

describe("gRPC connection reaping (real collector process)", function () {
  this.timeout(60_000);
  let col: CollectorProcess | undefined;

  after(async () => {
    await col?.stop();
    await killAll();
  });

  it("closes 200 silent bad connections within the idle time; /healthz answers throughout", async () => {
    col = await startCollector({ grpc: { host: "127.0.0.1", port: 0, maxConnectionIdleMs: IDLE_MS, keepaliveTimeMs: 1000, keepaliveTimeoutMs: 500 } });
    const { http, proc } = col;
    const port = Number(new URL(col.grpc).port);
    const before = openFiles(proc.pid);
    const kinds = Object.keys(OPENINGS);
    const started = Date.now();
    const closedAt: Record<string, number[]> = {};
    const sockets: Socket[] = [];
    const allClosed = Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const kind = kinds[i % kinds.length] as string;
        return new Promise<void>((resolve) => {
          const s = connect(port, "127.0.0.1", () => s.write(OPENINGS[kind] as Buffer));
          sockets.push(s);
          s.on("data", () => undefined);
          s.on("error", () => undefined);
          s.on("close", () => ((closedAt[kind] ??= []).push(Date.now() - started), resolve()));
        });
      }),
    );
    let healthy = 0;
    let done = false;
    const health = (async () => {
      while (!done) {
        const res = await fetch(`${http}/healthz`, { signal: AbortSignal.timeout(2000) });
        assert.equal(res.status, 200);
        healthy++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await Promise.race([allClosed, new Promise((_, reject) => setTimeout(() => reject(new Error(`not all closed: ${JSON.stringify(Object.fromEntries(Object.entries(closedAt).map(([k, v]) => [k, v.length])))}`)), IDLE_MS + 5000))]);
    done = true;
    await health;
    const slowest = Math.max(...Object.values(closedAt).flat());
    assert.ok(slowest <= IDLE_MS + 3000, `slowest close after ${slowest} ms`);
    assert.equal((closedAt["bad_header_block"] ?? []).length, 40);
    assert.ok(healthy > 0);
    await waitFor(() => (openFiles(proc.pid) <= before + 2 ? true : undefined), 5000, `open files back to ${before}`);
    for (const s of sockets) s.destroy();
  });
});
