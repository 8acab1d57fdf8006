// The HTTP API's access rules that need no server: loopback addresses, the config's refusal to listen off
// loopback without tokens, the token file format and TokenAuth's decisions.
import assert from "node:assert/strict";
import { ConfigError, silentLogger } from "@eastwest/common";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { isLoopback } from "../../../collector/src/http/config.ts";
import { TokenAuth } from "../../../collector/src/http/auth.ts";
import { hashToken, newToken, parseTokenFile, tokenLine } from "../../../collector/src/http/tokens.ts";

describe("http access rules", () => {
  it("knows which listen addresses are loopback", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"]) assert.equal(isLoopback(h), true, h);
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "::ffff:10.0.0.1", "collector.example", "localhost.evil"]) assert.equal(isLoopback(h), false, h);
  });

  it("refuses a non-loopback http.host without tokenFile or insecure, with every other problem", () => {
    const load = (http: Record<string, unknown>) => loadCollectorConfig({ env: {}, flags: { http } });
    assert.throws(
      () => load({ host: "0.0.0.0", maxBodyBytes: 1, headersTimeoutMs: 5000, requestTimeoutMs: 1000 }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.some((p) => /^http\.host: 0\.0\.0\.0 is not a loopback address/.test(p)) &&
        err.problems.some((p) => /^http\.maxBodyBytes/.test(p)) &&
        err.problems.some((p) => /^http\.headersTimeoutMs: must be <= requestTimeoutMs/.test(p)),
    );
    assert.throws(
      () => load({ host: "0.0.0.0", port: "x" }),
      (err: unknown) => err instanceof ConfigError && err.problems.length === 2 && err.problems.some((p) => /^http\.host: 0\.0\.0\.0 is not/.test(p)),
      "a type error elsewhere does not hide the address problem",
    );
    assert.equal(load({ host: "0.0.0.0", tokenFile: "/etc/eastwest/api-tokens" }).http.host, "0.0.0.0");
    assert.equal(load({ host: "::", insecure: true }).http.insecure, true);
    const env = loadCollectorConfig({ env: { EASTWEST_HTTP_HOST: "10.1.1.1", EASTWEST_HTTP_TOKEN_FILE: "/t" }, flags: {} });
    assert.deepEqual([env.http.host, env.http.tokenFile, env.http.localToken, env.http.maxBodyBytes], ["10.1.1.1", "/t", true, 1024 * 1024]);
  });

  it("parses token lines and reports every bad one with its line number", () => {
    const t = newToken();
    assert.match(t, /^ewt_[A-Za-z0-9_-]{43}$/);
    const text = `# tokens\n\n${tokenLine(t, "write", "ops")}sha256:${"A".repeat(64)} read x\nsha256:${"0".repeat(64)} admin y\nsha256:${"0".repeat(64)} read bad/name\n`;
    const { entries, problems } = parseTokenFile(text, "f");
    assert.deepEqual(entries.map((e) => [e.scope, e.name, e.hash.equals(hashToken(t))]), [["write", "ops", true]]);
    assert.deepEqual(problems.map((p) => p.split(":").slice(0, 2).join(":")), ["f:4", "f:5", "f:6"]);
  });

  it("decides: healthz open, GET open only with openRead, write scope for POST, insecure admits all", () => {
    const w = newToken();
    const r = newToken();
    const extra = [
      { hash: hashToken(w), scope: "write" as const, name: "w" },
      { hash: hashToken(r), scope: "read" as const, name: "r" },
    ];
    const closed = new TokenAuth({ file: "", extra, openRead: false, insecure: false, logger: silentLogger() });
    assert.equal(closed.decide("GET", "/healthz", undefined).kind, "ok");
    assert.deepEqual(closed.decide("GET", "/api/v1/agents", undefined), { kind: "denied", status: 401, error: "a bearer token with scope read is required (Authorization: Bearer <token>)" });
    assert.deepEqual(closed.decide("GET", "/api/v1/agents", `Bearer ${r}`), { kind: "ok", who: "r" });
    assert.deepEqual(closed.decide("HEAD", "/api/v1/agents", `bearer  ${w}`), { kind: "ok", who: "w" });
    assert.equal(closed.decide("POST", "/api/v1/runs", `Basic ${w}`).kind, "denied");
    assert.deepEqual(closed.decide("POST", "/api/v1/runs", `Bearer ${r}`), { kind: "denied", status: 403, error: "token r has scope read; POST needs write" });
    assert.deepEqual(closed.decide("DELETE", "/api/v1/runs", `Bearer ${w}`), { kind: "ok", who: "w" });
    const open = new TokenAuth({ file: "", extra, openRead: true, insecure: false, logger: silentLogger() });
    assert.equal(open.decide("GET", "/api/v1/agents", undefined).kind, "ok");
    assert.equal(open.decide("POST", "/api/v1/runs", undefined).kind, "denied");
    const insecure = new TokenAuth({ file: "", extra: [], openRead: false, insecure: true, logger: silentLogger() });
    assert.equal(insecure.decide("POST", "/api/v1/runs", undefined).kind, "ok");
  });
});
