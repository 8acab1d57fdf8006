// A sink request's outcome from the receiver's answer: 2xx ok, 429 and 5xx retryable (Retry-After in seconds or as
// a date, capped), any other status rejected; and the poster against a real local server: headers, bearer token
// read from its file at each request, basic auth, a refused connection and a timeout as retryable outcomes.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { sinkConfigSchema } from "../../../collector/src/sink/config.ts";
import { classify, httpPoster, retryAfterMs } from "../../../collector/src/sink/http.ts";
import { freePort, tempDir } from "../../helpers/procs.ts";
import { SinkReceiver } from "../../helpers/sink-receiver.ts";

describe("sink HTTP outcomes", () => {
  it("classifies statuses", () => {
    assert.deepEqual(classify(204, ""), { kind: "ok", status: 204 });
    assert.deepEqual(classify(400, "out of order sample"), { kind: "rejected", status: 400, reason: "HTTP 400: out of order sample" });
    assert.deepEqual(classify(404, ""), { kind: "rejected", status: 404, reason: "HTTP 404" });
    assert.deepEqual(classify(503, "busy"), { kind: "retryable", reason: "HTTP 503: busy" });
    assert.deepEqual(classify(429, "", "7"), { kind: "retryable", reason: "HTTP 429", afterMs: 7000 });
    assert.equal(classify(301, "").kind, "rejected");
  });

  it("reads Retry-After as seconds or an HTTP date, capped at 5 minutes", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    assert.equal(retryAfterMs("3", now), 3000);
    assert.equal(retryAfterMs("Wed, 01 Jan 2025 00:00:10 GMT", now), 10_000);
    assert.equal(retryAfterMs("Tue, 31 Dec 2024 00:00:10 GMT", now), 0);
    assert.equal(retryAfterMs("99999", now), 300_000);
    assert.equal(retryAfterMs("soon", now), undefined);
    assert.equal(retryAfterMs(undefined, now), undefined);
  });

  describe("the poster", () => {
    const dir = tempDir("sink-http");
    const receiver = new SinkReceiver();
    let url = "";
    before(async () => (url = await receiver.start()));
    after(async () => {
      await receiver.stop();
      dir.remove();
    });

    it("sends the body with the codec's, the config's and the auth headers; the token file is read at each request", async () => {
      const tokenFile = join(dir.path, "token");
      writeFileSync(tokenFile, "first\n");
      const c = sinkConfigSchema.parse({ kind: "prometheus", url: `${url}/api/v1/write`, bearerTokenFile: tokenFile, headers: { "x-scope-orgid": "t1" } });
      const post = httpPoster(c);
      assert.deepEqual(await post(new Uint8Array([1, 2, 3]), { "content-type": "application/x-protobuf" }), { kind: "ok", status: 200 });
      writeFileSync(tokenFile, "second\n");
      await post(new Uint8Array([4]), {});
      const [a, b] = receiver.received.slice(-2);
      assert.equal(a?.path, "/api/v1/write");
      assert.deepEqual([...(a?.body ?? [])], [1, 2, 3]);
      assert.equal(a?.headers["content-type"], "application/x-protobuf");
      assert.equal(a?.headers["x-scope-orgid"], "t1");
      assert.equal(a?.headers["authorization"], "Bearer first");
      assert.equal(b?.headers["authorization"], "Bearer second");
    });

    it("sends basic auth; an unreadable password file is retryable, not a throw", async () => {
      const pw = join(dir.path, "pw");
      writeFileSync(pw, "s3cret\n");
      const ok = httpPoster(sinkConfigSchema.parse({ kind: "otlp", url, basicAuth: { username: "u", passwordFile: pw } }));
      await ok(new Uint8Array(), {});
      assert.equal(receiver.received.at(-1)?.headers["authorization"], `Basic ${Buffer.from("u:s3cret").toString("base64")}`);
      const missing = httpPoster(sinkConfigSchema.parse({ kind: "otlp", url, basicAuth: { username: "u", passwordFile: join(dir.path, "none") } }));
      const out = await missing(new Uint8Array(), {});
      assert.equal(out.kind, "retryable");
    });

    it("gives retryable outcomes for a refused connection and for a receiver that does not answer in time", async () => {
      const closed = httpPoster(sinkConfigSchema.parse({ kind: "otlp", url: `http://127.0.0.1:${await freePort()}/v1/metrics` }));
      const refused = await closed(new Uint8Array([1]), {});
      assert.equal(refused.kind, "retryable");
      assert.match(refused.kind === "retryable" ? refused.reason : "", /ECONNREFUSED/);
      // a server that takes the connection and never answers
      const held: Socket[] = [];
      const silent = createServer((sock) => void held.push(sock));
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const hang = httpPoster(sinkConfigSchema.parse({ kind: "otlp", url: `http://127.0.0.1:${(silent.address() as { port: number }).port}/`, timeoutMs: 200 }));
      const timedOut = await hang(new Uint8Array([1]), {});
      assert.equal(timedOut.kind, "retryable");
      assert.match(timedOut.kind === "retryable" ? timedOut.reason : "", /no answer within 200 ms/);
      const stop = new AbortController();
      const pending = hang(new Uint8Array([1]), {}, stop.signal);
      stop.abort();
      assert.equal((await pending).kind, "retryable");
      for (const sock of held) sock.destroy();
      silent.close();
    });
  });
});
