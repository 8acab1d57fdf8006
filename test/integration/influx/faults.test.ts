// Failures a real server does not produce on demand, through both APIs, from a
// scripted HTTP server: the store retries what may succeed later (honouring
// Retry-After), rejects what never will, acks nothing unwritten, never throws.
import assert from "node:assert/strict";
import { freePort, tempDir, waitFor } from "../../helpers/procs.ts";
import type { InfluxConfig } from "../../../collector/src/store/influx/config.ts";
import type { WriteOutcome } from "../../../collector/src/store/types.ts";
import { startFaultServer, type FaultServer } from "./fault-server.ts";
import { batch, influxConfig, msTime, testStore, type TestStore } from "./fixtures.ts";

const PARTIAL = '{"error":"partial write: field type conflict: input field \\"rx_bytes_total\\" on measurement \\"netdev\\" is type integer, already exists as type float dropped=1"}';

const reason = (o: WriteOutcome | undefined): string => (o && "reason" in o ? o.reason : "");

for (const api of ["v2", "v1"] as const) {
  describe(`InfluxDB store: write failures (${api} API)`, function () {
    this.timeout(30_000);
    let server: FaultServer;
    let dir: ReturnType<typeof tempDir>;
    const open: TestStore[] = [];

    beforeEach(async () => {
      server = await startFaultServer();
      dir = tempDir(`influx-faults-${api}`);
    });
    afterEach(async () => {
      for (const s of open.splice(0)) await s.store.close();
      await server.close();
      dir.remove();
    });

    async function makeStore(over: Partial<InfluxConfig> = {}): Promise<TestStore> {
      const c = influxConfig({ url: server.url, api, db: "eastwest", token: "secret", minRetryDelayMs: 10, maxRetryDelayMs: 5_000, ...over });
      const s = testStore(dir.path, `s${open.length}`, c);
      open.push(s);
      await s.store.open();
      return s;
    }

    it("429 with Retry-After: 1, then 204: waits about a second, retries, and acks", async () => {
      server.script.push({ status: 429, body: '{"code":"too many requests","message":"slow down"}', headers: { "retry-after": "1" } });
      const { store } = await makeStore();
      assert.deepEqual(await store.writeBatches([batch("f-429", 1n, msTime())]), [{ kind: "ok", stored: 2 }]);
      const [first, second] = server.received;
      assert.equal(server.received.length, 2);
      assert.ok((second?.atMs ?? 0) - (first?.atMs ?? 0) >= 900, `waited ${(second?.atMs ?? 0) - (first?.atMs ?? 0)} ms`);
      assert.deepEqual(second?.lines, first?.lines, "the same lines again");
      assert.match(first?.path ?? "", api === "v2" ? /^\/api\/v2\/write\?org=eastwest&bucket=eastwest&precision=ns/ : /^\/write\?db=eastwest&precision=n$/);
      assert.equal(first?.authorization, "Token secret");
      assert.equal(await store.highestSeq("f-429"), 1n);
    });

    it("400 partial write: rejected with the server's words, nothing acked or kept locally", async () => {
      server.script.push({ status: 400, body: PARTIAL });
      const { store } = await makeStore();
      const [out] = await store.writeBatches([batch("f-400", 1n, msTime())]);
      assert.equal(out?.kind, "rejected");
      assert.match(reason(out), /HTTP 400: partial write: field type conflict: .* dropped=1/);
      assert.equal(server.received.length, 1, "never retried");
      assert.equal(await store.highestSeq("f-400"), 0n);
      assert.deepEqual(await store.latest({ tags: { agent_id: "f-400" } }), []);
    });

    it("a refused request of several batches is resent batch by batch to find the refused one", async () => {
      server.fallback = (r) => (r.lines.some((l) => l.includes("agent_id=f-bad")) ? { status: 400, body: PARTIAL } : { status: 204 });
      const { store } = await makeStore();
      const t = msTime();
      const out = await store.writeBatches([batch("f-good", 1n, t), batch("f-bad", 1n, t), batch("f-good", 2n, t)]);
      assert.deepEqual(out.map((o) => o.kind), ["ok", "rejected", "ok"]);
      assert.deepEqual(server.received.map((r) => r.lines.length), [6, 2, 2, 2]);
      assert.equal(await store.highestSeq("f-good"), 2n);
      assert.equal(await store.highestSeq("f-bad"), 0n);
    });

    it("500 every time: retried maxRetries times with back-off, then retryable; nothing acked", async () => {
      server.fallback = () => ({ status: 500, body: "internal error" });
      const { store } = await makeStore({ maxRetries: 2 });
      const [out] = await store.writeBatches([batch("f-500", 1n, msTime())]);
      assert.equal(out?.kind, "retryable");
      assert.match(reason(out), /HTTP 500: internal error \(after 3 attempts\)/);
      assert.ok(out?.kind === "retryable" && out.afterMs > 0);
      assert.equal(server.received.length, 3);
      assert.equal(await store.highestSeq("f-500"), 0n);
    });

    it("a Retry-After longer than maxRetryDelayMs is handed to the ingestor at once", async () => {
      server.fallback = () => ({ status: 503, headers: { "retry-after": "120" } });
      const { store } = await makeStore();
      const [out] = await store.writeBatches([batch("f-503", 1n, msTime())]);
      assert.deepEqual(out?.kind === "retryable" ? out.afterMs : undefined, 120_000);
      assert.equal(server.received.length, 1);
    });

    it("401: retryable after maxRetryDelayMs without retries, naming the setting to check", async () => {
      server.fallback = () => ({ status: 401, body: '{"code":"unauthorized","message":"unauthorized access"}' });
      const { store } = await makeStore();
      const [out] = await store.writeBatches([batch("f-401", 1n, msTime())]);
      assert.equal(out?.kind === "retryable" ? out.afterMs : undefined, 5_000);
      assert.match(reason(out), /HTTP 401: unauthorized access.*check store\.influx/);
      assert.equal(server.received.length, 1);
    });

    it("batches longer than batchSize are split; once the server is unavailable the rest of the group is not sent", async () => {
      server.script.push({ status: 204 }, { status: 204 }, { status: 503 });
      const { store } = await makeStore({ batchSize: 3, maxRetries: 0 });
      const t = msTime();
      const big = batch("f-split", 1n, t);
      big.points = [...big.points, ...big.points.map((p) => ({ ...p, timeNs: t + 1n })), { ...(big.points[0] as (typeof big.points)[number]), timeNs: t + 2n }];
      const out = await store.writeBatches([big, batch("f-split", 2n, t), batch("f-split", 3n, t)]);
      assert.deepEqual(out.map((o) => o.kind), ["ok", "retryable", "retryable"]);
      assert.deepEqual(server.received.map((r) => r.lines.length), [3, 2, 2]);
      assert.deepEqual(await store.gaps("f-split"), []);
      assert.equal(await store.highestSeq("f-split"), 1n);
    });

    it("connection refused: retryable; close() during a wait cuts it short; never throws", async () => {
      const dead = await makeStore({ url: `http://127.0.0.1:${await freePort()}`, maxRetries: 0 });
      const [refused] = await dead.store.writeBatches([batch("f-net", 1n, msTime())]);
      assert.equal(refused?.kind, "retryable");
      assert.match(reason(refused), /cannot reach the server/);

      server.fallback = () => ({ status: 429, headers: { "retry-after": "4" } });
      const { store: waiting } = await makeStore({ maxRetries: 5 });
      const started = Date.now();
      const pending = waiting.writeBatches([batch("f-close", 1n, msTime())]);
      await waitFor(() => (server.received.length > 0 ? true : undefined), 5_000, "first request");
      await waiting.close();
      const [out] = await pending;
      assert.equal(out?.kind, "retryable");
      assert.ok(Date.now() - started < 3_000, "close did not wait out Retry-After");
      assert.deepEqual(await waiting.writeBatches([batch("f-close", 2n, msTime())]), [{ kind: "retryable", afterMs: 1_000, reason: "store is not open" }]);
    });
  });
}
