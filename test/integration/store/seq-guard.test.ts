// The SeqGuard (collector/src/ingest/seq-guard.ts) over a real embedded store:
// sessions and their epochs in the ledger, and which batches it admits.
import assert from "node:assert/strict";
import { join } from "node:path";
import { nowNs, silentLogger } from "@eastwest/common";
import { SeqGuard } from "../../../collector/src/ingest/seq-guard.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import type { Store } from "../../../collector/src/store/types.ts";
import { tempDir } from "../../helpers/procs.ts";

const point = (agentId: string) => ({ measurement: "eastwest_agent", tags: { agent_id: agentId }, fields: { connected: true }, timeNs: nowNs() });

describe("seq guard: sessions, epochs and seq bounds", () => {
  let dir: ReturnType<typeof tempDir>;
  let stores: Store[];
  const open = async (): Promise<Store> => {
    const s = new EmbeddedStore(join(dir.path, "s.db"));
    await s.open();
    stores.push(s);
    return s;
  };
  const guardOn = (store: Store, maxSeqAhead = 100n) => new SeqGuard({ ledger: store, maxSeqAhead, logger: silentLogger() });
  const store = async (s: Store, agentId: string, seq: bigint) => {
    const out = await s.writeBatch({ agentId, seq, points: [point(agentId)], receivedNs: nowNs() });
    assert.equal(out.kind, "ok");
  };

  beforeEach(() => {
    dir = tempDir("seq-guard");
    stores = [];
  });
  afterEach(async () => {
    for (const s of stores) await s.close();
    dir.remove();
  });

  it("epochs grow per new session and across a reopen; a repeated session id keeps its epoch", async () => {
    let s = await open();
    const g = guardOn(s);
    const a = await g.hello("a1", "", 0n);
    const b = await g.hello("a1", "", 0n);
    assert.equal(a.epoch, 1n);
    assert.equal(b.epoch, 2n);
    const n1 = await g.hello("a1", "nats-session-1", 5n);
    const n2 = await g.hello("a1", "nats-session-1", 9n);
    assert.deepEqual(n2, n1, "a periodic hello of the same session changes nothing");
    await s.close();
    stores = [];
    s = await open();
    assert.deepEqual(await s.session("a1"), { epoch: 3n, sessionId: "nats-session-1", baseSeq: 5n }, "kept across a reopen");
    const after = await guardOn(s).hello("a1", "", 7n);
    assert.equal(after.epoch, 4n, "a restarted collector issues above every epoch it issued before");
    assert.equal(await s.session("nobody"), undefined);
  });

  it("a live stream's batches are admitted under the current epoch only", async () => {
    const s = await open();
    const g = guardOn(s);
    const old = await g.hello("a1", "", 0n);
    const cur = await g.hello("a1", "", 0n);
    assert.deepEqual(await g.admit("a1", 1n, { epoch: cur.epoch, late: false }), { ok: true });
    const stale = await g.admit("a1", 2n, { epoch: old.epoch, late: false });
    assert.equal(stale.ok ? "" : stale.code, "superseded");
    const unknown = await g.admit("a1", 2n, { epoch: cur.epoch + 1n, late: false });
    assert.equal(unknown.ok ? "" : unknown.code, "unknown-epoch");
    const sessionless = await g.admit("a1", 2n, undefined);
    assert.equal(sessionless.ok ? "" : sessionless.code, "sessionless", "a Push for an agent that has a session");
    assert.deepEqual(await g.admit("tool", 1n, undefined), { ok: true }, "a Push for an agent without a session");
  });

  it("over a durable log an older session's batch is admitted up to where the newer session began", async () => {
    const s = await open();
    const g = guardOn(s);
    const e1 = await g.hello("a1", "conn-1", 0n);
    const e2 = await g.hello("a1", "conn-2", 40n);
    assert.deepEqual(await g.admit("a1", 40n, { epoch: e1.epoch, late: true }), { ok: true });
    const above = await g.admit("a1", 41n, { epoch: e1.epoch, late: true });
    assert.equal(above.ok ? "" : above.code, "stale-epoch");
    assert.deepEqual(await g.admit("a1", 41n, { epoch: e2.epoch, late: true }), { ok: true });
  });

  it("a seq more than maxSeqAhead above the agent's highest is refused; in reach it is admitted and raises the bound", async () => {
    const s = await open();
    const g = guardOn(s, 100n);
    await store(s, "a1", 10n);
    const { epoch } = await g.hello("a1", "", 10n);
    const via = { epoch, late: false };
    for (const seq of [111n, 2n ** 62n, 2n ** 63n - 1n]) {
      const far = await g.admit("a1", seq, via);
      assert.equal(far.ok ? "" : far.code, "seq-ahead", `seq ${seq}`);
      assert.match(far.ok ? "" : far.reason, /maxSeqAhead \(100\) above the agent's highest seq 10/);
    }
    assert.deepEqual(await g.admit("a1", 110n, via), { ok: true });
    assert.deepEqual(await g.admit("a1", 210n, via), { ok: true }, "an admitted batch counts even before it is stored");
    assert.equal(await s.highestSeq("a1"), 10n, "the guard stores nothing");
  });

  it("before refusing, the guard re-reads a ledger that another collector writes", async () => {
    const s = await open();
    const mine = guardOn(s, 100n);
    const other = guardOn(s, 100n);
    const first = await mine.hello("a1", "conn-1", 0n);
    assert.deepEqual(await mine.admit("a1", 1n, { epoch: first.epoch, late: true }), { ok: true });
    await store(s, "a1", 500n);
    const second = await other.hello("a1", "conn-2", 500n);
    assert.deepEqual(await mine.admit("a1", 501n, { epoch: second.epoch, late: true }), { ok: true }, "an epoch and seqs issued by the other collector");
    const stale = await mine.admit("a1", 502n, { epoch: first.epoch, late: true });
    assert.equal(stale.ok ? "" : stale.code, "stale-epoch");
  });
});
