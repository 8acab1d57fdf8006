// The agent's spool against real processes: SIGKILL of a real agent mid-stream loses and duplicates nothing
// (fsync always), a torn tail is cut and the rest resent, a full spool drops the oldest batches as a gap.
import assert from "node:assert/strict";
import { readdirSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { freePort, killAll, start, tempDir, waitFor } from "../../helpers/procs.ts";
import { agentConfig, cpuTimes, detailOf, selfPoint, spoolOf, startCollector, storedTimes, untilLog } from "./agent-spool.helpers.ts";

const asStored = (t: bigint) => String(Number(t)); // why: the API's time_ns goes through JSON numbers

describe("agent spool: crashes of a real agent", function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("agent-crash")));
  afterEach(async () => {
    await killAll();
    dir.remove();
  });

  it("SIGKILL mid-stream 3 times: every batch made is stored once, no gap, seqs never reused", async () => {
    const grpcPort = await freePort();
    const c = await startCollector(join(dir.path, "store.db"), grpcPort);
    const env = { EASTWEST_SPOOL_DIR: join(dir.path, "spool") };
    const config = agentConfig(dir.path, "crash-a", grpcPort, ["spool: { fsync: always }"]);
    const unackedAtKill = new Map<bigint, Buffer>();
    let highest = 0;
    for (let round = 0; round < 3; round++) {
      const a = start(["agent", "--config", config, "--log-level", "warn"], { env });
      const from = highest;
      highest = await waitFor(async () => {
        const h = (await detailOf(c.http, "crash-a")).agent.highestSeq;
        return h >= from + 8 ? h : undefined;
      }, 30_000, `round ${round}: 8 more batches stored`);
      await a.kill("SIGKILL");
      for (const r of spoolOf(env.EASTWEST_SPOOL_DIR, "crash-a").records) unackedAtKill.set(r.seq, r.bytes);
    }
    const last = start(["agent", "--config", config, "--log-level", "info"], { env });
    await waitFor(async () => ((await detailOf(c.http, "crash-a")).agent.highestSeq >= highest + 8 ? true : undefined), 30_000, "the last run streams");
    assert.equal(await last.kill("SIGTERM"), 0, last.stderr());

    const detail = await detailOf(c.http, "crash-a");
    assert.deepEqual(detail.gaps, [], `no seq missing: ${JSON.stringify(detail.gaps)}`);
    assert.ok(unackedAtKill.size > 0, "some batches were unacked at a kill (else the test proves nothing)");
    const [cpu] = await storedTimes(c.http, "cpu", "crash-a", "&tag.cpu=all");
    const stored = new Set(cpu);
    for (const [seq, bytes] of unackedAtKill) for (const t of cpuTimes(bytes)) assert.ok(stored.has(asStored(t)), `batch ${seq} (unacked at a kill) stored`);
    for (const times of [cpu ?? [], ...(await storedTimes(c.http, "eastwest_sampler", "crash-a"))]) assert.equal(new Set(times).size, times.length, "no point stored twice");
  });

  it("a torn tail is cut and reported at start; the batches before it are resent", async () => {
    const grpcPort = await freePort();
    const env = { EASTWEST_SPOOL_DIR: join(dir.path, "spool") };
    const config = agentConfig(dir.path, "torn-a", grpcPort, ["spool: { fsync: always }"]);
    const first = start(["agent", "--config", config, "--log-level", "warn"], { env });
    await waitFor(() => (spoolOf(env.EASTWEST_SPOOL_DIR, "torn-a").records.length >= 4 ? true : undefined), 30_000, "4 batches spooled, the collector down");
    await first.kill("SIGKILL");
    const agentDir = join(env.EASTWEST_SPOOL_DIR, "torn-a");
    const records = spoolOf(env.EASTWEST_SPOOL_DIR, "torn-a").records;
    const segment = join(agentDir, readdirSync(agentDir).filter((n) => n.endsWith(".seg")).sort().at(-1) as string);
    truncateSync(segment, statSync(segment).size - 5);
    const kept = records.slice(0, -1);

    const c = await startCollector(join(dir.path, "store.db"), grpcPort);
    const second = start(["agent", "--config", config, "--log-level", "info"], { env });
    await untilLog(second, /torn tail cut/, 20_000, "the torn tail reported");
    assert.match(second.stderr(), /incomplete record/);
    const want = kept.flatMap((r) => cpuTimes(r.bytes)).map(asStored);
    await waitFor(async () => {
      const stored = new Set((await storedTimes(c.http, "cpu", "torn-a", "&tag.cpu=all"))[0]);
      return want.every((t) => stored.has(t)) ? true : undefined;
    }, 30_000, "the batches before the torn record, stored");
    await waitFor(async () => ((await detailOf(c.http, "torn-a")).agent.highestSeq > records.length + 3 ? true : undefined), 30_000, "new batches after them");
    assert.deepEqual((await detailOf(c.http, "torn-a")).gaps, [], "the torn batch never reached a collector: its seq is numbered again, no gap");
    assert.equal(second.child.exitCode, null, "running");
  });

  it("spool full: the oldest batches are dropped, counted in the agent's own point, and show as a gap", async () => {
    const grpcPort = await freePort();
    const env = { EASTWEST_SPOOL_DIR: join(dir.path, "spool") };
    const config = agentConfig(dir.path, "full-a", grpcPort, ["spool: { maxBytes: 65536, segmentBytes: 16384 }"]);
    const a = start(["agent", "--config", config, "--log-level", "warn"], { env });
    await untilLog(a, /spool full: oldest batches dropped/, 60_000, "the spool full");
    assert.ok(spoolOf(env.EASTWEST_SPOOL_DIR, "full-a").segments.reduce((n, s) => n + s.bytes, 0) <= 65536, "within maxBytes");
    const c = await startCollector(join(dir.path, "store.db"), grpcPort);
    const self = await waitFor(async () => {
      const f = await selfPoint(c.http, "full-a");
      return f && Number(f["spool_dropped_batches_total"]) > 0 ? f : undefined;
    }, 30_000, "the drops in the agent's own point");
    assert.equal(self["spool_writable"], true);
    const detail = await detailOf(c.http, "full-a");
    assert.equal(detail.gaps[0]?.from, 1, `the dropped oldest batches are a gap: ${JSON.stringify(detail.gaps)}`);
  });
});
