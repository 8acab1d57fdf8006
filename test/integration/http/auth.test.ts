// The HTTP API's gate on a real server and real sockets: bearer tokens from a real token file (read and write
// scopes, re-read when it changes), JSON-only POSTs, the body size limit and the request deadlines. The POST
// action records its calls, so "nothing started" is observed, not assumed.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { appendFileSync, chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "@eastwest/common";
import { TokenAuth } from "../../../collector/src/http/auth.ts";
import { DEFAULT_LIMITS } from "../../../collector/src/http/guard.ts";
import { startHttpApi, type HttpApi } from "../../../collector/src/http/server.ts";
import { appendNewToken } from "../../../collector/src/http/tokens.ts";
import { Registry } from "../../../collector/src/control/registry.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { tempDir } from "../../helpers/procs.ts";

const LIMITS = { ...DEFAULT_LIMITS, maxBodyBytes: 4096, headersTimeoutMs: 300, requestTimeoutMs: 600 };

describe("http api authentication and limits", () => {
  let dir: ReturnType<typeof tempDir>;
  let store: EmbeddedStore;
  let tokenFile: string;
  let readToken: string;
  let writeToken: string;
  let api: HttpApi | undefined;
  let calls: unknown[];
  let clockMs: number;

  before(async () => {
    dir = tempDir("http-auth");
    store = new EmbeddedStore({ path: join(dir.path, "s.db") });
    await store.open();
    tokenFile = join(dir.path, "tokens");
    readToken = appendNewToken(tokenFile, "read", "grafana");
    writeToken = appendNewToken(tokenFile, "write", "ops");
  });
  after(async () => {
    await store.close();
    dir.remove();
  });
  afterEach(async () => api?.close());

  async function serve(openRead: boolean): Promise<string> {
    calls = [];
    clockMs = 0;
    const auth = new TokenAuth({ file: tokenFile, extra: [], openRead, insecure: false, logger: silentLogger(), nowMs: () => clockMs });
    const hold = async (agentId: string, body: unknown) => {
      calls.push({ agentId, body });
      // why: an action that takes longer than the request deadline, as a run does (seconds to minutes).
      if ((body as { slow?: boolean }).slow) await new Promise((r) => setTimeout(r, LIMITS.requestTimeoutMs * 2));
      return { holding: true };
    };
    api = await startHttpApi({ store, registry: new Registry(store), host: "127.0.0.1", port: 0, logger: silentLogger(), auth, limits: LIMITS, actions: { hold } });
    return `http://127.0.0.1:${api.port}`;
  }

  async function post(base: string, token: string | undefined, body: string, type = "application/json"): Promise<{ status: number; error: string; headers: Headers }> {
    const headers: Record<string, string> = { "content-type": type, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) };
    const res = await fetch(`${base}/api/v1/agents/a1/hold`, { method: "POST", headers, body });
    const parsed = (await res.json()) as { error?: string };
    return { status: res.status, error: parsed.error ?? "", headers: res.headers };
  }

  it("POST: 401 without or with an unknown token, 403 with a read token, runs with a write token", async () => {
    const base = await serve(true);
    const none = await post(base, undefined, "{}");
    assert.equal(none.status, 401);
    assert.match(none.error, /bearer token with scope write is required/);
    assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="eastwest"');
    const wrong = await post(base, writeToken.slice(0, -1) + (writeToken.endsWith("A") ? "B" : "A"), "{}");
    assert.deepEqual([wrong.status, wrong.error], [401, "unknown token"]);
    const read = await post(base, readToken, "{}");
    assert.deepEqual([read.status, read.error], [403, "token grafana has scope read; POST needs write"]);
    assert.deepEqual(calls, [], "no refused request reached the action");
    const ok = await post(base, writeToken, JSON.stringify({ for_ms: 5 }));
    assert.equal(ok.status, 200);
    assert.deepEqual(calls, [{ agentId: "a1", body: { for_ms: 5 } }]);
  });

  it("the request deadline covers receiving the request, not the answer: a long action completes", async () => {
    const base = await serve(true);
    const t0 = performance.now();
    const r = await post(base, writeToken, JSON.stringify({ slow: true }));
    assert.equal(r.status, 200);
    assert.ok(performance.now() - t0 >= LIMITS.requestTimeoutMs * 2 * 0.9);
  });

  it("POST: 415 unless the body is application/json, and nothing starts", async () => {
    const base = await serve(true);
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"]) {
      const r = await post(base, writeToken, JSON.stringify({ for_ms: 5 }), type);
      assert.equal(r.status, 415, type);
      assert.match(r.error, /Content-Type: application\/json/);
    }
    assert.equal((await post(base, writeToken, "{}", "application/json; charset=utf-8")).status, 200);
    assert.equal(calls.length, 1, "only the JSON request reached the action");
  });

  it("POST: 413 for a body over the limit, declared or streamed", async () => {
    const base = await serve(true);
    const big = JSON.stringify({ for_ms: 5, pad: "x".repeat(LIMITS.maxBodyBytes) });
    const declared = await post(base, writeToken, big);
    assert.equal(declared.status, 413);
    assert.match(declared.error, /http\.maxBodyBytes \(4096 bytes\)/);
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const res = await fetch(`${base}/api/v1/agents/a1/hold`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${writeToken}` }, body: stream, duplex: "half" } as RequestInit);
    assert.equal(res.status, 413, "chunked, no Content-Length: counted as it arrives");
    await res.text();
    assert.deepEqual(calls, []);
  });

  it("GET: open on loopback; otherwise a read or write token, except /healthz", async () => {
    const open = await serve(true);
    assert.equal((await fetch(`${open}/api/v1/agents`)).status, 200);
    await api?.close();
    const closed = await serve(false);
    const anon = await fetch(`${closed}/api/v1/agents`);
    assert.equal(anon.status, 401);
    assert.match(((await anon.json()) as { error: string }).error, /scope read is required/);
    for (const token of [readToken, writeToken]) assert.equal((await fetch(`${closed}/api/v1/agents`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal((await fetch(`${closed}/healthz`)).status, 200);
  });

  it("re-reads the token file: a new token works at once, a removed one within a second; an invalid file keeps the tokens before", async () => {
    const base = await serve(true);
    const later = appendNewToken(tokenFile, "write", "later");
    assert.equal((await post(base, later, "{}")).status, 200, "an unknown token makes the file be re-read");
    appendFileSync(tokenFile, "not a token line\n");
    clockMs += 1000;
    assert.equal((await post(base, later, "{}")).status, 200, "invalid file: previous tokens kept");
    writeFileSync(tokenFile, "");
    chmodSync(tokenFile, 0o600);
    assert.equal((await post(base, later, "{}")).status, 200, "a known token does not re-read the file within a second");
    clockMs += 1000;
    assert.equal((await post(base, later, "{}")).status, 401, "an emptied file revokes every token");
    readToken = appendNewToken(tokenFile, "read", "grafana");
    writeToken = appendNewToken(tokenFile, "write", "ops");
  });

  /** Opens a raw connection, writes `data`, resolves with what the server sent once it closed the connection. */
  function rawUntilClosed(base: string, data: string): Promise<{ text: string; ms: number }> {
    const t0 = performance.now();
    const url = new URL(base);
    return new Promise((resolve, reject) => {
      let text = "";
      const s = connect(Number(url.port), url.hostname, () => s.write(data));
      s.on("data", (d) => (text += d.toString()));
      s.on("error", reject);
      s.on("close", () => resolve({ text, ms: performance.now() - t0 }));
    });
  }

  it("cuts a client that sends its headers or its body too slowly (408)", async () => {
    const base = await serve(true);
    const headers = await rawUntilClosed(base, "GET /api/v1/agents HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    assert.match(headers.text, /^HTTP\/1\.1 408/);
    assert.ok(headers.ms >= LIMITS.headersTimeoutMs * 0.9 && headers.ms < 5000, `headers cut after ${headers.ms} ms`);
    const head = `POST /api/v1/agents/a1/hold HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${writeToken}\r\nContent-Length: 100\r\n\r\n{"for_ms":`;
    const body = await rawUntilClosed(base, head);
    assert.ok(body.ms >= LIMITS.requestTimeoutMs * 0.9 && body.ms < 5000, `body cut after ${body.ms} ms`);
    assert.deepEqual(calls, [], "the incomplete request never reached the action");
  });
});
