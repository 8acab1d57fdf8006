// The collector's sinks list: the "KIND=URL" shorthand of --sink and EASTWEST_SINKS with every default, full
// objects from a file, every problem reported at once, and --print-config / --help showing them.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "@eastwest/common";
import { main } from "../../../cli/src/main.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { tempDir } from "../../helpers/procs.ts";

function capture() {
  let out = "";
  let err = "";
  return { io: { stdout: (s: string) => void (out += s), stderr: (s: string) => void (err += s) }, out: () => out, err: () => err };
}

describe("sinks config", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("sink-config")));
  afterEach(() => dir.remove());

  it("takes the shorthand with every default, named after its kind", () => {
    const c = loadCollectorConfig({ env: {}, flags: { sinks: ["prometheus=http://127.0.0.1:9090/api/v1/write"] } });
    assert.deepEqual(c.sinks, [
      {
        kind: "prometheus",
        name: "prometheus",
        url: "http://127.0.0.1:9090/api/v1/write",
        encoding: "protobuf",
        headers: {},
        bearerTokenFile: "",
        tls: { ca: "" },
        timeoutMs: 10_000,
        batchPoints: 2_000,
        pollMs: 1_000,
        startFrom: "now",
        retry: { minDelayMs: 500, maxDelayMs: 30_000 },
        queue: { maxLagPoints: 10_000_000, maxAgeMs: 86_400_000 },
      },
    ]);
    assert.deepEqual(loadCollectorConfig({ env: {}, flags: {} }).sinks, []);
  });

  it("reads full entries from a file and EASTWEST_SINKS; flags win over env", () => {
    const file = join(dir.path, "c.yaml");
    writeFileSync(file, "collector:\n  sinks:\n    - { kind: otlp, name: otel, url: 'https://otel:4318/v1/metrics', encoding: json, tls: { ca: /etc/ca.pem }, batchPoints: 500 }\n");
    const fromFile = loadCollectorConfig({ file, env: {}, flags: {} }).sinks;
    assert.deepEqual([fromFile[0]?.name, fromFile[0]?.encoding, fromFile[0]?.tls.ca, fromFile[0]?.batchPoints], ["otel", "json", "/etc/ca.pem", 500]);
    const env = { EASTWEST_SINKS: JSON.stringify(["otlp=http://127.0.0.1:4318/v1/metrics", { kind: "prometheus", name: "vm", url: "http://vm:8428/api/v1/write" }]) };
    assert.deepEqual(loadCollectorConfig({ file, env, flags: {} }).sinks.map((s) => s.name), ["otlp", "vm"]);
    assert.deepEqual(loadCollectorConfig({ file, env, flags: { sinks: ["prometheus=http://p/api/v1/write"] } }).sinks.map((s) => s.name), ["prometheus"]);
  });

  it("reports every problem at once", () => {
    const sinks = [
      "prometheus=ftp://x",
      "carrier-pigeon=http://x",
      { kind: "prometheus", url: "http://a/api/v1/write", encoding: "json", bearerTokenFile: "/t", basicAuth: { username: "u", passwordFile: "/p" } },
      { kind: "otlp", url: "http://a", retry: { minDelayMs: 10, maxDelayMs: 5 } },
      { kind: "otlp", url: "http://b" },
    ];
    try {
      loadCollectorConfig({ env: {}, flags: { sinks } });
      assert.fail("expected ConfigError");
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const text = err.problems.join("\n");
      for (const want of [/sinks\.0\.url/, /sinks\.1\.kind/, /sinks\.2\.encoding/, /sinks\.2\.basicAuth/, /sinks\.3\.retry\.minDelayMs/]) assert.match(text, want, text);
    }
    assert.throws(() => loadCollectorConfig({ env: {}, flags: { sinks: ["otlp=http://a", "otlp=http://b"] } }), /a second sink named otlp/);
  });

  it("--sink shows in --print-config and in --help", async () => {
    const c = capture();
    assert.equal(await main(["collector", "--sink", "prometheus=http://127.0.0.1:9/api/v1/write,otlp=http://127.0.0.1:9/v1/metrics", "--print-config"], c.io), 0, c.err());
    const printed = JSON.parse(c.out()) as { collector?: { sinks: Array<{ name: string; url: string }> }; sinks?: Array<{ name: string }> };
    const sinks = printed.collector?.sinks ?? printed.sinks ?? [];
    assert.deepEqual(sinks.map((s) => s.name), ["prometheus", "otlp"]);
    const h = capture();
    assert.equal(await main(["collector", "--help"], h.io), 0);
    assert.match(h.out(), /--sink KIND=URL,\.\.\. +push every stored point[\s\S]*\[env EASTWEST_SINKS\]/);
  });
});
