// A sink whose files cannot be read is a config error at start (exit 78, the sink and key named), not a crash
// halfway through the collector's start.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { start, tempDir } from "../../helpers/procs.ts";

describe("sinks: unreadable files at start", function () {
  this.timeout(60_000);
  it("a missing tls.ca, token or password file exits 78 naming each", async () => {
    const dir = tempDir("sink-cfg");
    try {
      const file = join(dir.path, "c.yaml");
      writeFileSync(file, [
        "collector:",
        "  grpc: { port: 0 }",
        "  http: { port: 0 }",
        `  store: { path: ${JSON.stringify(join(dir.path, "s.db"))} }`,
        "  sinks:",
        `    - { kind: prometheus, name: prom, url: "https://127.0.0.1:9/api/v1/write", tls: { ca: ${JSON.stringify(join(dir.path, "no-ca.pem"))} }, bearerTokenFile: ${JSON.stringify(join(dir.path, "no-token"))} }`,
        `    - { kind: otlp, url: "http://127.0.0.1:9/v1/metrics", basicAuth: { username: u, passwordFile: ${JSON.stringify(join(dir.path, "no-pw"))} } }`,
        "",
      ].join("\n"));
      const p = start(["collector", "--config", file]);
      assert.equal(await p.exited, 78, p.stderr());
      assert.match(p.stderr(), /sinks\[0\] \(prom\)\.tls\.ca: .*no-ca\.pem: ENOENT/);
      assert.match(p.stderr(), /sinks\[0\] \(prom\)\.bearerTokenFile: .*no-token: ENOENT/);
      assert.match(p.stderr(), /sinks\[1\] \(otlp\)\.basicAuth\.passwordFile: .*no-pw: ENOENT/);
      assert.doesNotMatch(p.stderr(), /at .*\.ts:\d+/, "no stack trace");
    } finally {
      dir.remove();
    }
  });
});
