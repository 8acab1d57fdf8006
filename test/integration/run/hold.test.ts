// Holding samples on real agents (gRPC on loopback, an in-process collector): POST /api/v1/agents/<id>/hold
// holds an agent's splitting samplers (netdev here, at 100 ms) so that nothing of theirs is sent while held,
// while the agent's own point says holding; the held points arrive when the hold ends (released, or its time
// over), one per tick, each with its tick's time. Bad requests change nothing. A real iperf3 run holds around
// the traffic by default (its figures still agree with iperf3), and streams with live: true.
import assert from "node:assert/strict";
import { join } from "node:path";
import { nowNs, silentLogger } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { formatRun } from "../../../collector/src/run/format.ts";
import type { RunRecord } from "../../../collector/src/run/runner.ts";
import { parseExact, stringifyExact } from "../../../collector/src/store/json.ts";
import { postJson } from "../../helpers/api.ts";
import { freePort, RUN_ACTIONS, killAll, requireBinary, start, tempDir, waitFor } from "../../helpers/procs.ts";

const MS = 1_000_000n;
const FAR = 2n ** 62n;
/** Margin for comparing times stamped by different processes (nowNs() mixes Date.now() and hrtime: about 1 ms apart). */
const SKEW = 5n * MS;

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

interface SelfRow {
  t: bigint;
  holding: boolean;
  heldBytes: bigint;
}

describe("holding samples (real agents, hold API, runs)", function () {
  this.timeout(90_000);
  let dir: ReturnType<typeof tempDir>;
  let collector: Collector;
  let api: string;
  const HELD = "hold-a";

  before(async () => {
    requireBinary("iperf3");
    dir = tempDir("hold");
    collector = new Collector(loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: join(dir.path, "s.db") } } }), silentLogger());
    await collector.start();
    api = `http://127.0.0.1:${collector.httpPort}`;
    agent(HELD, { EASTWEST_AGENT_SAMPLERS: JSON.stringify({ netdev: { intervalMs: 100 } }) });
    await collector.sessions.waitFor(HELD, 20_000);
  });
  after(async () => {
    await killAll();
    await collector?.stop();
    dir?.remove();
  });

  /**
   * A real agent over gRPC. why --scheduling normal, not the default SCHED_IDLE: when other work keeps the CPUs busy
   * (iperf3 over loopback takes both of a 2-CPU machine), an idle agent misses ticks whether it holds or not; its
   * scheduling is sched.test.ts's subject, the ticks are this one's.
   */
  function agent(id: string, env: Record<string, string> = {}): void {
    start(["agent", "--id", id, "--collector", `127.0.0.1:${collector.grpcPort}`, "--scheduling", "normal", "--log-level", "warn", ...RUN_ACTIONS], { env });
  }

  async function post(path: string, body: string): Promise<Reply> {
    const res = await postJson(api + path, body, collector.localTokenFile);
    const text = await res.text();
    return { status: res.status, body: parseExact(text) as Record<string, unknown> };
  }

  const hold = (agentId: string, forMs: number) => post(`/api/v1/agents/${encodeURIComponent(agentId)}/hold`, JSON.stringify({ for_ms: forMs }));

  /** Times of the agent's netdev points on lo in [fromNs, toNs]. */
  async function netdevTimes(agentId: string, fromNs: bigint, toNs: bigint): Promise<bigint[]> {
    const series = await collector.store.query({ measurement: "netdev", fromNs, toNs, tags: { agent_id: agentId, interface: "lo" } });
    assert.ok(series.length <= 1, `one lo series: ${series.length}`);
    return (series[0]?.values ?? []).map((row) => row[0] as bigint);
  }

  /** The agent's own points (eastwest_agent) in [fromNs, toNs]. */
  async function selfRows(agentId: string, fromNs: bigint, toNs = FAR): Promise<SelfRow[]> {
    const series = await collector.store.query({ measurement: "eastwest_agent", fromNs, toNs, tags: { agent_id: agentId }, fields: ["holding", "held_bytes"] });
    return series.flatMap((s) => s.values.map((row) => ({ t: row[0] as bigint, holding: row[1] as boolean, heldBytes: row[2] as bigint })));
  }

  /** Waits for netdev points of the agent covering [fromNs, toNs] (one at or after toNs - 2 intervals), then returns them. */
  async function heldPoints(agentId: string, fromNs: bigint, toNs: bigint, timeoutMs: number): Promise<bigint[]> {
    return waitFor(async () => {
      const t = await netdevTimes(agentId, fromNs, toNs);
      return t.length > 0 && (t.at(-1) as bigint) >= toNs - 200n * MS ? t : undefined;
    }, timeoutMs, `${agentId}'s netdev points of ${fromNs}..${toNs}`);
  }

  /** One point per tick of intervalMs over the span: enough, strictly increasing, spaced about the interval. */
  function assertTicks(times: bigint[], fromNs: bigint, toNs: bigint, intervalMs: number, what: string): void {
    const expected = Number(toNs - fromNs) / 1e6 / intervalMs;
    assert.ok(times.length >= 0.8 * expected, `${what}: ${times.length} points for ${expected.toFixed(1)} ticks`);
    const gaps = times.slice(1).map((t, i) => Number(t - (times[i] as bigint)) / 1e6);
    assert.ok(gaps.every((g) => g > 0), `${what}: times strictly increasing (no duplicates): ${gaps.filter((g) => g <= 0)}`);
    const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)] as number;
    assert.ok(Math.abs(median - intervalMs) <= intervalMs * 0.2, `${what}: median spacing ${median} ms, expected about ${intervalMs}`);
  }

  /** Waits until the agent's own point says it streams again (holding false, nothing held) after fromNs. */
  async function streaming(agentId: string, fromNs: bigint): Promise<SelfRow> {
    return waitFor(async () => (await selfRows(agentId, fromNs)).find((r) => !r.holding && r.heldBytes === 0n), 15_000, `${agentId} streaming again`);
  }

  it("holds netdev while the agent's own point says holding; on release the held points arrive, one per 100 ms tick", async () => {
    // streaming before: a netdev point of the last second arrives
    const before = nowNs();
    await waitFor(async () => ((await netdevTimes(HELD, before, FAR)).length > 0 ? true : undefined), 10_000, "live netdev points");

    const r = await hold(HELD, 60_000);
    // why: the agent holds from before its answer; every tick after this time is one it captured while holding.
    const heldNs = nowNs() + SKEW;
    assert.equal(r.status, 200, stringifyExact(r.body));
    assert.equal(r.body["holding"], true);
    // nothing was held before: the hold starts empty
    assert.equal(r.body["held_ticks"], 0);
    assert.equal(r.body["held_bytes"], 0);

    // while held: at least two of its own points (one per second) say holding, with growing held bytes. why from
    // 200 ms on: an own point of the hold's first moment may come before the first capture is kept (held_bytes 0).
    const during = await waitFor(async () => {
      const rows = await selfRows(HELD, heldNs + 200n * MS);
      return rows.length >= 2 ? rows : undefined;
    }, 10_000, "two eastwest_agent points while held");
    assert.ok(during.every((x) => x.holding), stringifyExact(during));
    assert.ok(during.every((x) => x.heldBytes > 0n), "held_bytes > 0 while held");
    assert.ok((during[1] as SelfRow).heldBytes > (during[0] as SelfRow).heldBytes, "held_bytes grows with the ticks held");
    // ... and no netdev point of a tick after the hold began, though own points (sent later than them) came
    assert.deepEqual(await netdevTimes(HELD, heldNs + 1n, FAR), [], "no netdev point sent while held");

    const releaseNs = nowNs();
    const released = await hold(HELD, 0);
    assert.equal(released.status, 200, stringifyExact(released.body));
    assert.equal(released.body["holding"], false);
    // the answer comes as the decoding starts: what is held (seconds of 100 ms ticks) is still being decoded
    assert.ok((released.body["held_ticks"] as number) > 0 && (released.body["held_bytes"] as number) > 0, stringifyExact(released.body));

    const times = await heldPoints(HELD, heldNs + 1n, releaseNs, 10_000);
    assertTicks(times, heldNs, releaseNs, 100, "held netdev points");
    // decoded with their tick's time: rates from consecutive held ticks are sane (finite, not negative)
    const series = await collector.store.query({ measurement: "netdev", fromNs: heldNs + 1n, toNs: releaseNs, tags: { agent_id: HELD, interface: "lo" }, fields: ["rx_bytes_per_s"] });
    const rates = (series[0]?.values ?? []).map((row) => row[1]);
    assert.ok(rates.length > 0 && rates.every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0), `rates: ${rates.slice(0, 10)}`);

    // later its own point says it streams again; and no point after the release says holding
    const back = await streaming(HELD, releaseNs);
    const after = await selfRows(HELD, releaseNs);
    assert.deepEqual(after.filter((x) => x.holding), [], "no holding point after the release");
    // and netdev streams: points newer than that own point arrive
    await waitFor(async () => ((await netdevTimes(HELD, back.t, FAR)).length > 0 ? true : undefined), 10_000, "live netdev points after the release");
  });

  it("a hold with a short for_ms ends by itself: the held points arrive without a release", async () => {
    await streaming(HELD, nowNs());
    const sentNs = nowNs();
    const r = await hold(HELD, 2000);
    const heldNs = nowNs() + SKEW;
    assert.equal(r.status, 200, stringifyExact(r.body));
    assert.equal(r.body["holding"], true);
    // why: the agent's hold timer starts between sentNs and its answer; ticks in (heldNs, sentNs + 2 s) are surely held.
    const endNs = sentNs + 2000n * MS - SKEW;
    // its own point of a tick inside the hold says holding (one per second: at least one in that span)
    const inside = await waitFor(async () => {
      const rows = await selfRows(HELD, heldNs + 200n * MS, endNs);
      return rows.length > 0 ? rows : undefined;
    }, 10_000, "an eastwest_agent point inside the hold");
    assert.ok(inside.every((x) => x.holding && x.heldBytes > 0n), `holding inside the hold: ${stringifyExact(inside)}`);
    // no release is sent: the points of the held ticks come when the hold time is over, and it streams again
    const times = await heldPoints(HELD, heldNs + 1n, endNs, 10_000);
    assertTicks(times, heldNs, endNs, 100, "points of the hold that ended by itself");
    await streaming(HELD, endNs);
  });

  it("bad hold requests answer 400 with the problems, an unknown agent 422; the agent keeps streaming", async () => {
    const path = `/api/v1/agents/${HELD}/hold`;
    const cases: Array<[string, RegExp[]]> = [
      ['{"for_ms": -1}', [/^for_ms: .*>=\s*0/]],
      ['{"x": 1}', [/^for_ms: .*expected number/, /Unrecognized key: "x"/]],
      ['{"for_ms": 1.5}', [/^for_ms: .*int/]],
      ['{"for_ms": "1000"}', [/^for_ms: .*expected number/]],
      ['{"for_ms": 3600001}', [/^for_ms: .*<=\s*3600000/]],
      ["null", [/^\(body\): .*expected object/]],
      ["", [/^for_ms: /]],
    ];
    for (const [body, expected] of cases) {
      const r = await post(path, body);
      assert.equal(r.status, 400, body);
      assert.equal(typeof r.body["error"], "string", body);
      const problems = r.body["problems"] as string[];
      assert.ok(Array.isArray(problems) && problems.length === expected.length, `${body}: ${stringifyExact(r.body)}`);
      expected.forEach((re) => assert.ok(problems.some((p) => re.test(p)), `${body}: ${re} in ${stringifyExact(problems)}`));
    }
    const notJson = await post(path, "for_ms=1000");
    assert.equal(notJson.status, 400);
    assert.match(String(notJson.body["error"]), /body is not JSON/);
    const unknown = await post("/api/v1/agents/nobody-here/hold", '{"for_ms": 1000}');
    assert.equal(unknown.status, 422);
    assert.match(String(unknown.body["error"]), /nobody-here.*not connected/);

    // ending a hold where none is: harmless
    const noop = await hold(HELD, 0);
    assert.equal(noop.status, 200);
    assert.deepEqual(noop.body, { holding: false, held_ticks: 0, held_bytes: 0 });

    // nothing changed for the connected agent: its next own point says streaming, and netdev points keep coming
    const afterNs = nowNs();
    const next = await waitFor(async () => (await selfRows(HELD, afterNs))[0], 10_000, "the agent's next own point");
    assert.equal(next.holding, false);
    assert.equal(next.heldBytes, 0n);
    await waitFor(async () => ((await netdevTimes(HELD, afterNs, FAR)).length >= 5 ? true : undefined), 5000, "netdev streaming after the bad requests");
  });

  describe("a real run between two agents on loopback", () => {
    const SERVER = "hold-srv";
    const CLIENT = "hold-cli";
    before(async () => {
      for (const id of [SERVER, CLIENT]) agent(id);
      for (const id of [SERVER, CLIENT]) await collector.sessions.waitFor(id, 20_000);
    });

    async function run(live: boolean | undefined): Promise<RunRecord> {
      const port = await freePort();
      const spec: Record<string, unknown> = { server: { agentId: SERVER, interface: "lo" }, client: { agentId: CLIENT, interface: "lo" }, serverAddress: "127.0.0.1", port, durationS: 4, sampleIntervalMs: 100 };
      if (live !== undefined) spec["live"] = live;
      const r = await post("/api/v1/runs", JSON.stringify(spec));
      assert.equal(r.status, 201, stringifyExact(r.body));
      return r.body as unknown as RunRecord;
    }

    async function checkRun(record: RunRecord, held: boolean): Promise<void> {
      const r = record.results;
      assert.equal(record.spec.live, !held);
      assert.deepEqual(r.warnings.filter((w) => w.startsWith("hold:")), [], "no hold warning");
      const tp = r.throughput;
      assert.ok(tp.iperf3_receiver_bits_per_s > 1e8, `traffic flowed: ${stringifyExact(tp)}`);
      for (const [side, agreement] of [["sender", tp.sender_agreement], ["receiver", tp.receiver_agreement]] as const) {
        assert.ok(agreement !== null && Math.abs(agreement - 1) < 0.03, `${side} netdev vs iperf3: ${agreement} (${stringifyExact(tp)}; warnings ${r.warnings.join(" | ")})`);
      }
      assert.match(formatRun(record), held ? /sampling every 100 ms \(held during the traffic\)/ : /sampling every 100 ms \(live\)/);
      const startedNs = BigInt(record.startedNs);
      const trafficEndNs = startedNs + BigInt(record.spec.durationS) * 1000n * MS;
      for (const id of [SERVER, CLIENT]) {
        const times = await netdevTimes(id, startedNs, trafficEndNs);
        assertTicks(times, startedNs, trafficEndNs, 100, `${id}'s netdev points during the traffic`);
        // its own points during the traffic say whether it held
        const own = await selfRows(id, startedNs, trafficEndNs - 500n * MS);
        assert.ok(own.length > 0, `${id}: own points during the traffic`);
        assert.deepEqual(own.map((x) => x.holding), own.map(() => held), `${id}: holding during the traffic`);
      }
    }

    it("holds the samples around the traffic by default; the figures agree with iperf3", async () => {
      const record = await run(undefined);
      await checkRun(record, true);
      const stored = await collector.store.getRecord("run", record.id);
      assert.equal((stored?.doc as RunRecord).spec.live, false, "the stored record says live false");
    });

    it("live: true streams during the traffic, and the record says so", async () => {
      const record = await run(true);
      await checkRun(record, false);
      const stored = await collector.store.getRecord("run", record.id);
      assert.equal((stored?.doc as RunRecord).spec.live, true);
    });
  });
});
