// The telemetry module's contracts: the otlp config section and its standard env
// names; the SDK is loaded only with an endpoint; shutdown is safe twice and
// harmless when the endpoint does not answer.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@eastwest/common";
import { startTelemetry } from "../../../common/src/telemetry/start.ts";
import { inSpan } from "../../../common/src/telemetry/spans.ts";
import { loadAgentConfig } from "../../../agent/src/config.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { freePort } from "../../helpers/procs.ts";

const TELEMETRY = fileURLToPath(import.meta.resolve("../../../common/src/telemetry/start.ts"));

/** In a fresh Node: startTelemetry(options) and the module specifiers resolved meanwhile. */
function specifiersLoadedBy(options: object): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const seen = [];
    registerHooks({ resolve(specifier, context, next) { seen.push(specifier); return next(specifier, context); } });
    const { startTelemetry } = await import(${JSON.stringify(TELEMETRY)});
    const t = await startTelemetry(${JSON.stringify(options)});
    await t.shutdown();
    process.stdout.write(JSON.stringify(seen));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

describe("telemetry: config and lifecycle", function () {
  this.timeout(30_000);

  it("OTEL_EXPORTER_OTLP_ENDPOINT and _HEADERS fill the otlp section of both programs", () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel:4318", OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20x, tenant=a" };
    for (const c of [loadAgentConfig({ env, flags: {} }), loadCollectorConfig({ env, flags: {} })]) {
      assert.equal(c.otlp.endpoint, "http://otel:4318");
      assert.deepEqual(c.otlp.headers, { authorization: "Bearer x", tenant: "a" });
    }
    const off = loadCollectorConfig({ env: {}, flags: {} });
    assert.equal(off.otlp.endpoint, undefined, "off by default");
  });

  it("a bad endpoint and a bad header are reported together", () => {
    assert.throws(
      () => loadCollectorConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://otel", OTEL_EXPORTER_OTLP_HEADERS: "novalue" }, flags: {} }),
      (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith("otlp.endpoint")) && err.problems.some((p) => p.startsWith("otlp.headers")),
    );
  });

  it("without an endpoint the SDK is never loaded; with one it is", () => {
    const off = specifiersLoadedBy({ serviceName: "t" });
    assert.ok(!off.some((s) => s.includes("@opentelemetry/sdk")), `loaded: ${off.filter((s) => s.includes("opentelemetry")).join(", ")}`);
    const on = specifiersLoadedBy({ serviceName: "t", otlpEndpoint: "http://127.0.0.1:9", timeoutMs: 200, exportIntervalMs: 1000 });
    for (const sdk of ["@opentelemetry/sdk-trace", "@opentelemetry/sdk-metrics"]) assert.ok(on.includes(sdk), `${sdk} loads when configured`);
  });

  it("an endpoint that does not answer: spans and shutdown (twice) neither throw nor hang", async () => {
    const port = await freePort();
    const t = await startTelemetry({ serviceName: "t", otlpEndpoint: `http://127.0.0.1:${port}`, timeoutMs: 300, exportIntervalMs: 1000 });
    assert.equal(t.enabled, true);
    await assert.rejects(inSpan("failing", {}, async () => Promise.reject(new Error("boom"))), /boom/);
    assert.equal(await inSpan("ok", {}, async () => 42), 42);
    const started = Date.now();
    await t.shutdown();
    await t.shutdown();
    assert.ok(Date.now() - started < 10_000);
    const again = await startTelemetry({ serviceName: "t" });
    assert.equal(again.enabled, false);
    await again.shutdown();
  });
});
