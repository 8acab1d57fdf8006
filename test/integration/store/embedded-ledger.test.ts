// The embedded ledger through the embedded store: idempotency on (agent_id, seq), seq gaps,
// group commit, agents and records.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sample } from "@eastwest/common";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import type { AgentRecord } from "../../../collector/src/store/types.ts";

const T0 = 1_700_000_000_000_000_000n;
const S = 1_000_000_000n;
const I64_MAX = 2n ** 63n - 1n;

function point(device: string, timeNs: bigint, fields: Sample["fields"], host = "h1"): Sample {
  return { measurement: "netdev", tags: { agent_id: "a1", host, device }, fields, timeNs };
}

function agent(id: string, over: Partial<AgentRecord> = {}): AgentRecord {
  return {
    agentId: id,
    role: "host",
    hostname: "h1",
    kernel: "6.1.0",
    machineUuid: "uuid-1",
    netns: "net:[4026531840]",
    capabilities: [{ sampler: "netdev", available: true, reason: "", intervalMs: 1000 }],
    agentVersion: "0.1.0",
    pid: 42,
    calibration: { constants: [{ name: "exit_ns", value: 500, measured: false }], timeNs: T0 },
    firstSeenNs: T0,
    lastSeenNs: T0 + S,
    connected: true,
    highestSeq: 7n,
    ...over,
  };
}

describe("embedded store: ledger", () => {
  let dir: string;
  let path: string;
  let store: EmbeddedStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "eastwest-ledger-"));
    path = join(dir, "store.db");
    store = new EmbeddedStore({ path, clock: () => T0 });
    await store.open();
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers a resent batch with duplicate and stores nothing twice", async () => {
    const batch = { agentId: "a1", seq: 1n, points: [point("eth0", T0, { x: 1n })], receivedNs: T0 };
    assert.equal((await store.writeBatch(batch)).kind, "ok");
    const resent = { ...batch, points: [point("eth0", T0 + S, { x: 2n })] };
    assert.deepEqual(await store.writeBatch(resent), { kind: "duplicate" });
    const [s] = await store.query({ measurement: "netdev", fromNs: 0n, toNs: T0 * 2n });
    assert.deepEqual(s!.values, [[T0, 1n]]);
    const [latest] = await store.latest({});
    assert.equal(latest!.timeNs, T0);
  });

  it("finds missing seq ranges and the highest seq", async () => {
    assert.equal(await store.highestSeq("a1"), 0n);
    assert.deepEqual(await store.gaps("a1"), []);
    for (const seq of [2n, 3n, 6n, 10n]) {
      await store.writeBatch({ agentId: "a1", seq, points: [], receivedNs: T0 });
    }
    await store.writeBatch({ agentId: "a2", seq: 1n, points: [], receivedNs: T0 });
    assert.equal(await store.highestSeq("a1"), 10n);
    assert.deepEqual(await store.gaps("a1"), [
      { from: 1n, to: 1n },
      { from: 4n, to: 5n },
      { from: 7n, to: 9n },
    ]);
    assert.deepEqual(await store.gaps("a2"), []);
  });

  it("stores agents and records as documents", async () => {
    await store.upsertAgent(agent("b"));
    await store.upsertAgent(agent("a", { highestSeq: I64_MAX, connected: false }));
    await store.upsertAgent(agent("b", { hostname: "h2" }));
    const list = await store.listAgents();
    assert.deepEqual(list.map((a) => [a.agentId, a.hostname]), [["a", "h1"], ["b", "h2"]]);
    assert.deepEqual(await store.getAgent("a"), agent("a", { highestSeq: I64_MAX, connected: false }));
    assert.equal(await store.getAgent("zz"), undefined);
    let t = T0;
    const clocked = new EmbeddedStore({ path, clock: () => (t += S) });
    await store.close();
    store = clocked;
    await store.open();
    for (const id of ["r1", "r2", "r3"]) await store.putRecord("run", id, { id });
    await store.putRecord("calibration", "c1", [1, 2]);
    assert.deepEqual((await store.listRecords("run", 2)).map((r) => r.id), ["r3", "r2"]);
    assert.equal(await store.getRecord("run", "nope"), undefined);
  });

});

describe("embedded store: group commit", () => {
  it("writes several batches in one call, each idempotent, outcomes in order", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { EmbeddedStore } = await import("../../../collector/src/store/embedded/store.ts");
    const dir = mkdtempSync(join(tmpdir(), "eastwest-group-"));
    const store = new EmbeddedStore(join(dir, "g.db"));
    await store.open();
    const t = 1_700_000_000_000_000_000n;
    const mk = (seq: bigint, fields: Record<string, number | bigint>) => ({ agentId: "g1", seq, receivedNs: t, points: [{ measurement: "m", tags: { k: "v" }, fields, timeNs: t + seq }] });
    assert.deepEqual(await store.writeBatches([mk(1n, { x: 1 })]), [{ kind: "ok", stored: 1 }]);
    const out = await store.writeBatches([mk(1n, { x: 1 }), mk(2n, { x: Number.NaN }), mk(3n, { x: 3 })]);
    assert.deepEqual(out.map((o) => o.kind), ["duplicate", "rejected", "ok"]);
    assert.equal(await store.highestSeq("g1"), 3n);
    assert.deepEqual(await store.gaps("g1"), [{ from: 2n, to: 2n }]);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
