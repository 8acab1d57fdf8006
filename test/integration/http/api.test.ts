import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@eastwest/common";
import { Hello, Role } from "@eastwest/proto";
import { startHttpApi, type HttpApi } from "../../../collector/src/http/server.ts";
import { TokenAuth } from "../../../collector/src/http/auth.ts";
import { Registry } from "../../../collector/src/control/registry.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import type { Store } from "../../../collector/src/store/types.ts";

const NOW = 1_700_000_000_000_000_000n;
const S = 1_000_000_000n;
const I64_MAX = "9223372036854775807";

interface Reply {
  status: number;
  text: string;
  body: Record<string, unknown>;
}

describe("http api", () => {
  let dir: string;
  let store: EmbeddedStore;
  let api: HttpApi;
  let base: string;

  async function get(path: string): Promise<Reply> {
    const res = await fetch(base + path);
    const text = await res.text();
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    return { status: res.status, text, body: JSON.parse(text) as Record<string, unknown> };
  }

  async function start(s: Store): Promise<void> {
    const registry = new Registry(s);
    await registry.onHello(Hello.fromPartial({ agentId: "a1", role: Role.ROLE_HOST, hostname: "h1", pid: 9 }), NOW);
    api = await startHttpApi({ store: s, registry, host: "127.0.0.1", port: 0, logger: silentLogger(), clock: () => NOW });
    base = `http://127.0.0.1:${api.port}`;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "eastwest-http-"));
    store = new EmbeddedStore({ path: join(dir, "store.db"), clock: () => NOW });
    await store.open();
    const points = [0n, 1n, 2n].map((i) => ({
      measurement: "eastwest_sampler",
      tags: { agent_id: "a1", sampler: "netdev" },
      fields: { duration_ns: 2n ** 63n - 1n - i, up: true, points_total: i },
      timeNs: NOW - (3n - i) * S,
    }));
    await store.writeBatch({ agentId: "a1", seq: 1n, points, receivedNs: NOW });
    await store.writeBatch({ agentId: "a1", seq: 3n, points: [], receivedNs: NOW });
    await store.putRecord("run", "r1", { bytes: 2n ** 63n - 1n, name: "default" });
    await start(store);
  });

  afterEach(async () => {
    await api.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers health, agents with gaps, and the measurement catalogue", async () => {
    assert.deepEqual((await get("/healthz")).body, { status: "ok" });
    const agents = await get("/api/v1/agents");
    assert.equal(agents.status, 200);
    assert.deepEqual((agents.body.agents as Array<{ agentId: string }>).map((a) => a.agentId), ["a1"]);
    const one = await get("/api/v1/agents/a1");
    assert.equal(one.status, 200);
    assert.match(one.text, /"highestSeq":3/);
    assert.match(one.text, /"gaps":\[\{"from":2,"to":2\}\]/);
    const m = await get("/api/v1/measurements");
    const names = (m.body.measurements as Array<{ name: string; tags: string[] }>).map((x) => x.name);
    assert.ok(names.includes("eastwest_sampler"));
  });

  it("renders 64-bit integers exactly as JSON numbers", async () => {
    const latest = await get("/api/v1/latest?measurement=eastwest_sampler&agent_id=a1&tag.sampler=netdev");
    assert.equal(latest.status, 200);
    assert.match(latest.text, new RegExp(`"duration_ns":${(2n ** 63n - 3n).toString()}[,}]`));
    assert.match(latest.text, new RegExp(`"timeNs":${NOW - S}[,}]`));
    const series = await get("/api/v1/series?measurement=eastwest_sampler&from=-1m&to=now&field=duration_ns");
    assert.equal(series.status, 200);
    assert.match(series.text, new RegExp(`\\[${NOW - 3n * S},${I64_MAX}\\]`));
    const rec = await get("/api/v1/records/run/r1");
    assert.match(rec.text, new RegExp(`"bytes":${I64_MAX}[,}]`));
  });

  it("queries series by RFC 3339 and epoch times, tags and buckets", async () => {
    const from = "2023-11-14T22:13:17Z";
    const r = await get(`/api/v1/series?measurement=eastwest_sampler&from=${from}&to=${NOW}&tag.sampler=netdev&every=10s&agg=last&field=points_total`);
    assert.equal(r.status, 200);
    const series = r.body.series as Array<{ columns: string[]; values: unknown[][] }>;
    assert.deepEqual(series[0]?.columns, ["time_ns", "points_total"]);
    assert.equal(series[0]?.values.length, 1);
    assert.match(r.text, /"points_total"\],"values":\[\[1699999990000000000,2\]\]/, "the bucket of the last 10 s before NOW");
    const none = await get("/api/v1/series?measurement=eastwest_sampler&from=-1m&tag.sampler=cpu");
    assert.deepEqual(none.body.series, []);
  });

  it("lists records newest first and answers 404 for a missing one", async () => {
    const list = await get("/api/v1/records/run?limit=5");
    assert.equal((list.body.records as unknown[]).length, 1);
    assert.equal((await get("/api/v1/records/run/none")).status, 404);
  });

  it("answers 400 with the reason for bad parameters", async () => {
    const cases: Array<[string, RegExp]> = [
      ["/api/v1/series?measurement=eastwest_sampler&from=yesterday", /from: "yesterday" is not an RFC 3339 time/],
      ["/api/v1/series?measurement=eastwest_sampler&to=2023-02-30T00:00:00Z", /to: .*day out of range/],
      ["/api/v1/series?measurement=nope", /unknown measurement "nope"/],
      ["/api/v1/series", /measurement is required/],
      ["/api/v1/series?measurement=eastwest_sampler&from=now&to=-1h", /from is after to/],
      ["/api/v1/latest?measurement=eastwest_sampler&tag.bogus=1", /unknown tag "bogus"/],
      ["/api/v1/agents?x=1", /takes no parameters/],
      ["/api/v1/records/Bad", /snake_case/],
    ];
    for (const [path, reason] of cases) {
      const r = await get(path);
      assert.equal(r.status, 400, path);
      assert.match(String(r.body.error), reason, path);
    }
  });

  it("answers 404 for unknown routes and agents, 405 for other methods, 401 for a POST without a token", async () => {
    assert.equal((await get("/api/v1/nothing")).status, 404);
    const agent = await get("/api/v1/agents/zz");
    assert.deepEqual(agent, { status: 404, text: agent.text, body: { error: 'unknown agent "zz"' } });
    const post = await fetch(base + "/api/v1/agents", { method: "POST" });
    assert.equal(post.status, 401, "no token is known to an API started without auth: nothing may POST");
    assert.equal(post.headers.get("www-authenticate"), 'Bearer realm="eastwest"');
    await post.text();
    await api.close();
    const registry = new Registry(store);
    api = await startHttpApi({ store, registry, host: "127.0.0.1", port: 0, logger: silentLogger(), auth: new TokenAuth({ file: "", extra: [], openRead: true, insecure: true, logger: silentLogger() }) });
    const put = await fetch(`http://127.0.0.1:${api.port}/api/v1/agents`, { method: "PUT" });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get("allow"), "GET, HEAD");
    await put.text();
  });

  it("answers 503 when the store fails, and closes safely twice", async () => {
    await store.close();
    const r = await get("/api/v1/latest");
    assert.equal(r.status, 503);
    assert.match(String(r.body.error), /store unavailable: latest: store is not open/);
    await api.close();
    await api.close();
    await assert.rejects(fetch(base + "/healthz"));
  });

  it("refuses to start on a port in use, with a named error", async () => {
    const registry = new Registry(store);
    const opts = { store, registry, host: "127.0.0.1", port: api.port, logger: silentLogger() };
    await assert.rejects(startHttpApi(opts), (err: unknown) => err instanceof Error && err.name === "HttpApiError");
  });
});
