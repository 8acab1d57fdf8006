// The collector's limits (collector/src/ingest/limits.ts): each refuses what exceeds it with its name in the
// reason, counted per name; config keys, env and their checks; and the throttled log (common/src/log.ts) that
// every line a peer can cause goes through.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import { nowNs, silentLogger, ThrottledLog, toWirePoint } from "@eastwest/common";
import { AgentMessage, Batch, type Point } from "@eastwest/proto";
import { decodeAgentMessage, decodeWithLimits, tryDecode } from "../../../collector/src/ingest/decode.ts";
import { validateBatch, validateHello } from "../../../collector/src/ingest/validate.ts";
import { DEFAULT_LIMITS, limitOf, SeriesLimiter, type IngestLimits } from "../../../collector/src/ingest/limits.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { helloOf } from "../../fuzz/frames.ts";

const now = nowNs();
const limits = (o: Partial<IngestLimits>): IngestLimits => ({ ...DEFAULT_LIMITS, ...o });
const netdev = (iface: string, fields = 1, tags: Record<string, string> = {}): Point =>
  toWirePoint({
    measurement: "netdev",
    tags: { agent_id: "a1", host: "h", interface: iface, netns: "n", ...tags },
    fields: Object.fromEntries(Array.from({ length: fields }, (_, i) => [i === 0 ? "rx_bytes_total" : `rx_bytes_total${i}`, BigInt(i)])),
    timeNs: now,
  });
const check = (points: Point[], l: IngestLimits) => validateBatch(decodeWithLimits(Buffer.from(Batch.encode({ agentId: "a1", seq: 1n, points, createdNs: now }).finish()), undefined, undefined, l), now, undefined, l);

describe("collector limits", () => {
  it("refuses a batch over each batch and point limit with the limit's name, and names it once for counting", () => {
    const cases: [Partial<IngestLimits>, Point[], string][] = [
      [{ maxPointsPerBatch: 2 }, [netdev("a"), netdev("b"), netdev("c")], "maxPointsPerBatch"],
      [{ maxMeasurementsPerBatch: 1 }, [netdev("a"), toWirePoint({ measurement: "x_y", tags: {}, fields: { v: 1n }, timeNs: now })], "maxMeasurementsPerBatch"],
      [{ maxTagsPerPoint: 3 }, [netdev("a"), netdev("b")], "maxTagsPerPoint"],
      [{ maxFieldsPerPoint: 2 }, [netdev("a", 3)], "maxFieldsPerPoint"],
      [{ maxTagValueLength: 4 }, [netdev("eth-long")], "maxTagValueLength"],
    ];
    for (const [l, points, name] of cases) {
      const v = check(points, limits(l));
      assert.ok(!v.ok, name);
      assert.match(v.reason, new RegExp(`limit ${name}: `), name);
      assert.deepEqual(v.limits, [name]);
      assert.ok(check(points, DEFAULT_LIMITS).ok || name === "maxMeasurementsPerBatch" || name === "maxFieldsPerPoint", `${name} passes at the defaults`);
    }
  });

  it("admits at most maxNewSeriesPerBatch new series per batch and maxSeriesPerAgent in all; a refused batch counts none", () => {
    const s = new SeriesLimiter(limits({ maxNewSeriesPerBatch: 3, maxSeriesPerAgent: 5 }));
    assert.equal(s.admit("a", ["s1", "s2", "s3", "s4"])?.limit, "maxNewSeriesPerBatch");
    assert.equal(s.admit("a", ["s1", "s2", "s3"]), undefined);
    assert.equal(s.admit("a", ["s1", "s2", "s3"]), undefined, "known series are not new");
    assert.equal(s.admit("a", ["s4", "s5", "s6"])?.limit, "maxSeriesPerAgent");
    assert.equal(s.admit("a", ["s4", "s5"]), undefined);
    assert.equal(s.admit("b", ["s1", "s2", "s3"]), undefined, "per agent");
  });

  it("refuses a hello over maxHelloBytes before decoding it, and one with a field over maxHelloFieldLength", () => {
    const big = Buffer.from(AgentMessage.encode({ msg: { $case: "hello", value: helloOf("a1", "h".repeat(200)) } }).finish());
    const d = tryDecode(big, (b) => decodeAgentMessage(b, limits({ maxHelloBytes: 100 })));
    assert.ok(!d.ok);
    assert.equal(d.limit, "maxHelloBytes");
    const h = { ...helloOf("a1"), kernel: "k".repeat(2000) };
    const problems = validateHello(h);
    assert.deepEqual(problems.map(limitOf), ["maxHelloFieldLength"]);
    assert.match(problems[0] as string, /kernel is 2000 characters, limit 1024/);
  });

  it("takes limits from the config file, env (EASTWEST_LIMIT_*) and flags, and reports bad ones at once", () => {
    const c = loadCollectorConfig({ env: { EASTWEST_LIMIT_MAX_AGENTS: "7" }, flags: { limits: { maxFieldsPerPoint: 9 } } });
    assert.equal(c.limits.maxAgents, 7);
    assert.equal(c.limits.maxFieldsPerPoint, 9);
    assert.equal(c.limits.maxMessageBytes, 4 * 1024 * 1024);
    assert.equal(c.grpc.maxConnectionIdleMs, 30_000);
    assert.throws(() => loadCollectorConfig({ env: { EASTWEST_LIMIT_MAX_AGENTS: "0" }, flags: { limits: { maxHelloBytes: 8 * 1024 * 1024 } } }), (err: Error & { problems?: string[] }) => {
      assert.ok(err.problems?.some((p) => p.includes("maxAgents")), String(err.problems));
      assert.ok(err.problems?.some((p) => p.includes("maxHelloBytes")), String(err.problems));
      return true;
    });
  });

  it("takes maxQueuedPoints (flow control) from env and flags, 100,000 by default, at least 1,000", () => {
    assert.equal(loadCollectorConfig({ env: {}, flags: {} }).maxQueuedPoints, 100_000);
    assert.equal(loadCollectorConfig({ env: { EASTWEST_MAX_QUEUED_POINTS: "5000" }, flags: {} }).maxQueuedPoints, 5000);
    assert.equal(loadCollectorConfig({ env: {}, flags: { maxQueuedPoints: 2000 } }).maxQueuedPoints, 2000);
    assert.throws(() => loadCollectorConfig({ env: { EASTWEST_MAX_QUEUED_POINTS: "10" }, flags: {} }), (err: Error & { problems?: string[] }) => err.problems?.some((p) => p.includes("maxQueuedPoints")) === true);
  });

  it("takes maxGroupPoints (points per group commit) from env and flags, 5,000 by default, at least 100", () => {
    assert.equal(loadCollectorConfig({ env: {}, flags: {} }).maxGroupPoints, 5_000);
    assert.equal(loadCollectorConfig({ env: { EASTWEST_MAX_GROUP_POINTS: "20000" }, flags: {} }).maxGroupPoints, 20_000);
    assert.equal(loadCollectorConfig({ env: {}, flags: { maxGroupPoints: 800 } }).maxGroupPoints, 800);
    assert.throws(() => loadCollectorConfig({ env: { EASTWEST_MAX_GROUP_POINTS: "99" }, flags: {} }), (err: Error & { problems?: string[] }) => err.problems?.some((p) => p.includes("maxGroupPoints")) === true);
  });
});

describe("ThrottledLog", () => {
  function capture() {
    const lines: Record<string, unknown>[] = [];
    const out = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), cb()) });
    return { lines, logger: pino({ level: "info" }, out) };
  }

  it("logs at most perWindow lines per key per window, then says how many it left out", async () => {
    const { lines, logger } = capture();
    let t = 0;
    const log = new ThrottledLog(logger, { perWindow: 3, windowMs: 60_000, clock: () => t });
    for (let i = 0; i < 10; i++) log.warn("bad frame", { i }, "undecodable frame");
    log.warn("other", {}, "other reason");
    t = 60_000;
    log.warn("bad frame", { i: 10 }, "undecodable frame");
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(lines.map((l) => [l["msg"], l["i"], l["suppressed"]]), [
      ["undecodable frame", 0, undefined],
      ["undecodable frame", 1, undefined],
      ["undecodable frame", 2, undefined],
      ["other reason", undefined, undefined],
      ["undecodable frame", 10, 7],
    ]);
    assert.equal(log.suppressed, 7);
  });

  it("cuts values to 200 characters and renders bigints and objects, and stays bounded in keys", async () => {
    const { lines, logger } = capture();
    const log = new ThrottledLog(logger, { maxKeys: 4 });
    log.warn("k", { reason: "x".repeat(2 * 1024 * 1024), seq: 2n ** 64n - 1n, obj: { a: "y".repeat(500) } }, "m");
    for (let i = 0; i < 100; i++) log.warn(`key ${i}`, {}, "many keys");
    await new Promise((r) => setImmediate(r));
    const first = lines[0] as Record<string, string>;
    assert.equal(first["reason"], `${"x".repeat(200)}... (2097152 chars)`);
    assert.equal(first["seq"], "18446744073709551615");
    assert.ok((first["obj"] as string).length < 230);
    assert.ok(lines.length <= 4 + 10, `${lines.length} lines`);
    new ThrottledLog(silentLogger()).error("k", {}, "m");
  });
});
