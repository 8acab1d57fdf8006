// The agent's spool on a real directory: records, torn tails, the acked mark, spool full, unwritable.
import assert from "node:assert/strict";
import { appendFileSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { pino } from "pino";
import { encodeRecord, HEADER_BYTES, scanSegment, type SpoolRecord } from "../../../agent/src/runtime/spool-format.ts";
import { Spool, type SpoolOptions } from "../../../agent/src/runtime/spool.ts";
import { tempDir } from "../../helpers/procs.ts";

const rec = (seq: bigint, size = 40): SpoolRecord => ({ seq, points: Number(seq % 7n) + 1, bytes: Buffer.alloc(size, Number(seq % 251n)) });

/** A logger whose lines the test reads. */
function capture(): { logger: SpoolOptions["logger"]; lines: () => Array<{ msg: string; [k: string]: unknown }> } {
  const out: string[] = [];
  const logger = pino({ level: "info" }, { write: (s: string) => void out.push(s) });
  return { logger, lines: () => out.map((l) => JSON.parse(l) as { msg: string }) };
}

function options(dir: string, o: Partial<SpoolOptions> = {}): SpoolOptions {
  return { dir, maxBytes: 1 << 20, segmentBytes: 1 << 16, fsync: "always", fsyncIntervalMs: 1000, retryMs: 60_000, logger: capture().logger, onDropped: () => 0, onWritable: () => undefined, ...o };
}

const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith(".seg")).sort();

describe("agent spool: every batch on disk until acked", () => {
  let tmp: ReturnType<typeof tempDir>;
  let dir: string;
  const open: Spool[] = [];
  const openSpool = (o: Partial<SpoolOptions> = {}) => {
    const r = Spool.open(options(dir, o));
    open.push(r.spool);
    return r;
  };
  beforeEach(() => {
    tmp = tempDir("spool");
    dir = join(tmp.path, "a1");
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    tmp.remove();
  });

  it("property: a segment cut anywhere scans as a prefix of its records, torn at a record boundary", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 8 }), fc.nat(), (sizes, cutPick) => {
        const records = sizes.map((size, i) => rec(BigInt(i + 1), size));
        const whole = Buffer.concat(records.map(encodeRecord));
        const cut = cutPick % (whole.length + 1);
        const scan = scanSegment(whole.subarray(0, cut));
        const good = scan.records.length;
        assert.deepEqual(scan.records, records.slice(0, good));
        const boundary = records.slice(0, good).reduce((n, r) => n + HEADER_BYTES + r.bytes.length, 0);
        if (cut === boundary) assert.equal(scan.tornAt, undefined);
        else assert.equal(scan.tornAt, boundary);
      }),
      { numRuns: 300 },
    );
  });

  it("a flipped byte fails the record's CRC: the scan stops there", () => {
    const whole = Buffer.concat([rec(1n), rec(2n), { ...rec(3n), supersedes: 9n }].map(encodeRecord));
    const size = HEADER_BYTES + 40;
    assert.deepEqual(scanSegment(whole).records[2], { ...rec(3n), supersedes: 9n }, "supersedes read back");
    whole.writeUInt8(whole.readUInt8(size + HEADER_BYTES + 5) ^ 0xff, size + HEADER_BYTES + 5);
    const scan = scanSegment(whole);
    assert.deepEqual([scan.records.map((r) => r.seq), scan.tornAt, scan.why], [[1n], size, "CRC mismatch"]);
  });

  it("restores what was never acked, under its seqs, and knows the highest seq it numbered", () => {
    const { spool, contents } = openSpool();
    assert.deepEqual([contents.records, contents.highest], [[], undefined], "a first start knows nothing");
    for (let s = 1n; s <= 5n; s++) assert.equal(spool.append(rec(s)), true);
    spool.settle(2n);
    spool.close();
    const again = openSpool().contents;
    assert.deepEqual(again.records.map((r) => r.seq), [3n, 4n, 5n], "seqs above the mark");
    assert.deepEqual(again.records[0], rec(3n), "whole records");
    assert.equal(again.highest, 5n);
    assert.deepEqual(again.torn, []);
  });

  it("deletes segments once acked, and the mark keeps the highest seq when none is left", () => {
    const { spool } = openSpool({ segmentBytes: 200 });
    for (let s = 1n; s <= 12n; s++) spool.append(rec(s));
    const before = segments(dir).length;
    assert.ok(before >= 4, `segments of 3 records: ${before}`);
    spool.settle(12n);
    assert.deepEqual(segments(dir).length, 1, "only the segment being written stays");
    spool.close();
    const again = openSpool({ segmentBytes: 200 }).contents;
    assert.deepEqual([again.records, again.highest], [[], 12n]);
    assert.equal(segments(dir).length, 0, "a settled segment goes at the next start");
  });

  it("a torn tail is cut and reported, never a failed start; the records before it are restored", () => {
    const { spool } = openSpool();
    for (let s = 1n; s <= 4n; s++) spool.append(rec(s));
    spool.close();
    const [seg] = segments(dir);
    const file = join(dir, seg as string);
    truncateSync(file, statSync(file).size - 7);
    appendFileSync(join(dir, "not-a-segment"), "ignored");
    const { spool: s2, contents } = openSpool();
    assert.deepEqual(contents.records.map((r) => r.seq), [1n, 2n, 3n]);
    assert.equal(contents.torn.length, 1);
    assert.match(contents.torn[0]?.why ?? "", /incomplete record/);
    assert.equal(statSync(file).size, 3 * (HEADER_BYTES + 40), "cut at the last good record");
    assert.equal(s2.stats().truncatedBytes, BigInt(HEADER_BYTES + 40 - 7));
    assert.equal(s2.append(rec(4n)), true, "and appends go on");
  });

  it("spool full: the oldest segments go, their batches are dropped through onDropped and counted", () => {
    const dropped: bigint[] = [];
    const { spool } = openSpool({ segmentBytes: 210, maxBytes: 420, onDropped: (through) => (dropped.push(through), 3) });
    for (let s = 1n; s <= 9n; s++) assert.equal(spool.append(rec(s)), true);
    assert.ok(spool.stats().bytes <= 420, `bytes ${spool.stats().bytes}`);
    assert.deepEqual(dropped, [3n], "the first segment (seqs 1..3) went");
    assert.equal(spool.stats().droppedBatches, 3n);
    spool.close();
    assert.deepEqual(openSpool().contents.records.map((r) => r.seq), [4n, 5n, 6n, 7n, 8n, 9n]);
  });

  it("unwritable: memory mode, said once; writable again: onWritable, and appends go to disk again", async () => {
    const log = capture();
    writeFileSync(join(tmp.path, "blocker"), "a file where the directory should be");
    dir = join(tmp.path, "blocker", "a1");
    let writable!: () => void;
    const back = new Promise<void>((resolve) => (writable = resolve));
    const { spool } = openSpool({ logger: log.logger, retryMs: 100, onWritable: () => writable() });
    assert.equal(spool.append(rec(1n)), false);
    assert.equal(spool.stats().writable, false);
    assert.deepEqual(log.lines().map((l) => l.msg), ["spool unwritable: batches are kept in memory only until it is writable again"]);
    rmSync(join(tmp.path, "blocker"));
    await back;
    assert.equal(spool.append(rec(2n)), true);
    assert.equal(log.lines().filter((l) => /unwritable/.test(l.msg)).length, 1, "said once, however many retries failed");
    spool.close();
    assert.deepEqual(openSpool().contents.records.map((r) => r.seq), [2n]);
  });

  it("an unreadable mark resends everything rather than failing", () => {
    const { spool } = openSpool();
    spool.append(rec(1n));
    spool.close();
    writeFileSync(join(dir, "acked"), "garbage");
    const { contents } = openSpool();
    assert.deepEqual(contents.records.map((r) => r.seq), [1n]);
    assert.match(contents.problems.join(), /acked: not a mark/);
    assert.equal(readFileSync(join(dir, "acked"), "utf8"), "garbage", "left for the next mark write");
  });

  it("a renumbered batch supersedes its old seq; the confirmation outlives the process", () => {
    const { spool, contents } = openSpool();
    assert.equal(contents.confirmed, false);
    spool.append(rec(1n));
    spool.append(rec(2n));
    spool.append({ ...rec(41n), supersedes: 1n });
    spool.append({ ...rec(42n), supersedes: 2n });
    spool.confirm();
    spool.close();
    const again = openSpool().contents;
    assert.deepEqual([again.records.map((r) => r.seq), again.highest, again.confirmed], [[41n, 42n], 42n, true]);
  });
});
