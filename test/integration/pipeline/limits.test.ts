// Limits through the ingestor and the registry on a real embedded store: a batch over a limit is refused with
// the limit's name, counted in PipelineStats.refusedByLimit and never stored; a new agent id beyond maxAgents is
// refused at hello and at its first batch, known ones go on.
import assert from "node:assert/strict";
import { join } from "node:path";
import { nowNs, silentLogger, toWirePoint } from "@eastwest/common";
import { AckCode, Batch } from "@eastwest/proto";
import { Ingestor } from "../../../collector/src/ingest/ingestor.ts";
import { SeqGuard } from "../../../collector/src/ingest/seq-guard.ts";
import { decodeWithLimits } from "../../../collector/src/ingest/decode.ts";
import { DEFAULT_LIMITS, LimitExceeded, type IngestLimits } from "../../../collector/src/ingest/limits.ts";
import { newStats } from "../../../collector/src/ingest/stats.ts";
import { Registry } from "../../../collector/src/control/registry.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { helloOf } from "../../fuzz/frames.ts";
import { tempDir } from "../../helpers/procs.ts";

const now = nowNs();
const batch = (agentId: string, seq: bigint, interfaces: string[]) =>
  decodeWithLimits(
    Buffer.from(
      Batch.encode({
        agentId,
        seq,
        points: interfaces.map((i) => toWirePoint({ measurement: "netdev", tags: { agent_id: agentId, host: "h", interface: i, netns: "n" }, fields: { rx_bytes_total: 1n }, timeNs: now })),
        createdNs: now,
      }).finish(),
    ),
  );

describe("limits through the ingestor and the registry (embedded store)", () => {
  const dir = tempDir("limits");
  const store = new EmbeddedStore(join(dir.path, "s.db"));
  before(() => store.open());
  after(async () => {
    await store.close();
    dir.remove();
  });

  it("refuses, counts per limit and never stores what exceeds a limit; maxAgents holds at hello and at batches", async () => {
    const limits: IngestLimits = { ...DEFAULT_LIMITS, maxNewSeriesPerBatch: 2, maxSeriesPerAgent: 3, maxAgents: 2 };
    const stats = newStats();
    const registry = new Registry(store, { maxAgents: limits.maxAgents });
    const guard = new SeqGuard({ ledger: store, maxSeqAhead: BigInt(limits.maxSeqAhead), logger: silentLogger() });
    const ingestor = new Ingestor({ store, logger: silentLogger(), stats, limits, guard, admitAgent: (id) => registry.admits(id), onStored: (id, seq) => registry.onBatch(id, seq, nowNs()) });
    const ack = (b: ReturnType<typeof batch>) => ingestor.ingest(b);
    assert.equal((await ack(batch("a1", 1n, ["x", "y", "z"]))).code, AckCode.ACK_CODE_INVALID);
    assert.equal((await ack(batch("a1", 1n, ["x", "y"]))).code, AckCode.ACK_CODE_STORED);
    const total = await ack(batch("a1", 2n, ["z", "w"]));
    assert.equal(total.code, AckCode.ACK_CODE_INVALID);
    assert.match(total.reason, /^limit maxSeriesPerAgent: /);
    assert.equal(await store.highestSeq("a1"), 1n, "nothing refused was stored");
    await registry.onHello(helloOf("a2"), nowNs());
    await assert.rejects(registry.onHello(helloOf("a3"), nowNs()), (err: unknown) => err instanceof LimitExceeded && err.limit === "maxAgents");
    const third = await ack(batch("a3", 1n, ["x"]));
    assert.match(third.reason, /^limit maxAgents: /);
    await registry.onHello(helloOf("a1"), nowNs());
    assert.equal(stats.refusedByLimit.maxNewSeriesPerBatch, 1n);
    assert.equal(stats.refusedByLimit.maxSeriesPerAgent, 1n);
    assert.equal(stats.refusedByLimit.maxAgents, 1n);
    assert.equal(stats.batchesRejected, 3n);
  });
});
