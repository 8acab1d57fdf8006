// Configuration: precedence defaults < file < env < flags; every error at once; exit 78.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "@eastwest/common";
import { loadAgentConfig } from "../../../agent/src/config.ts";
import { main } from "../../../cli/src/main.ts";
import { tempDir } from "../../helpers/procs.ts";

function capture() {
  let out = "";
  let err = "";
  return { io: { stdout: (s: string) => (out += s), stderr: (s: string) => (err += s) }, out: () => out, err: () => err };
}

describe("config", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("config")));
  afterEach(() => dir.remove());

  it("applies defaults < file < env < flags", () => {
    const file = join(dir.path, "a.yaml");
    writeFileSync(file, "agent:\n  id: from-file\n  intervalMs: 500\n  collector: { address: 'file:1' }\n");
    const c = loadAgentConfig({ file, env: { EASTWEST_COLLECTOR: "env:2", EASTWEST_COLLECTOR_INSECURE: "true", EASTWEST_INTERVAL_MS: "700" }, flags: { intervalMs: 900 } });
    assert.equal(c.id, "from-file");
    assert.equal(c.collector.address, "env:2");
    assert.equal(c.intervalMs, 900);
    assert.equal(c.role, "auto");
  });

  it("reports every error at once", () => {
    const file = join(dir.path, "bad.yaml");
    writeFileSync(file, "agent:\n  id: 'bad id!'\n  intervalMs: -5\n  nosuch: 1\n");
    try {
      loadAgentConfig({ file, env: { EASTWEST_INTERVAL_MS: "abc" }, flags: { role: "king" } });
      assert.fail("expected ConfigError");
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const text = err.problems.join("\n");
      for (const want of ["EASTWEST_INTERVAL_MS", "id", "role", "nosuch"]) assert.match(text, new RegExp(want), `mentions ${want}: ${text}`);
      assert.ok(err.problems.length >= 4);
    }
  });

  it("a malformed YAML file is a clear error", () => {
    const file = join(dir.path, "broken.yaml");
    writeFileSync(file, "agent: [unclosed\n");
    assert.throws(() => loadAgentConfig({ file, env: {}, flags: {} }), /not valid YAML/);
  });

  it("the CLI exits 78 on bad flag values, listing every problem, and 64 on an unknown flag", async () => {
    const c = capture();
    const code = await main(["collector", "--grpc-port", "notaport", "--http-port", "99999", "--print-config"], c.io);
    assert.equal(code, 78);
    assert.match(c.err(), /--grpc-port: expected a number/);
    assert.match(c.err(), /http\.port/, "the schema error is reported together with the flag error");
    const c3 = capture();
    assert.equal(await main(["agent", "--no-such-flag"], c3.io), 64, "an unknown flag is a usage error (EX_USAGE)");
    assert.match(c3.err(), /no-such-flag[\s\S]*--help/);
  });

  it("--print-config shows the effective config", async () => {
    const c = capture();
    assert.equal(await main(["agent", "--id", "printed", "--print-config"], c.io), 0);
    assert.equal(JSON.parse(c.out()).id, "printed");
  });

  it("takes list flags and never prints secrets", async () => {
    const c = capture();
    assert.equal(await main(["agent", "--transport", "nats", "--nats-servers", "nats://127.0.0.1:4222, nats://127.0.0.2:4222", "--print-config"], c.io), 0);
    const cfg = JSON.parse(c.out());
    assert.equal(cfg.collector.transport, "nats");
    assert.deepEqual(cfg.nats.servers, ["nats://127.0.0.1:4222", "nats://127.0.0.2:4222"]);
    const prev = process.env["EASTWEST_INFLUX_TOKEN"];
    process.env["EASTWEST_INFLUX_TOKEN"] = "s3cr3t-token";
    try {
      const c2 = capture();
      assert.equal(await main(["collector", "--print-config"], c2.io), 0);
      assert.ok(!c2.out().includes("s3cr3t-token"), "token redacted");
      assert.match(c2.out(), /"token": "<redacted>"/);
    } finally {
      if (prev === undefined) delete process.env["EASTWEST_INFLUX_TOKEN"];
      else process.env["EASTWEST_INFLUX_TOKEN"] = prev;
    }
  });

  it("--help and unknown commands", async () => {
    const c = capture();
    assert.equal(await main(["--help"], c.io), 0);
    assert.match(c.out(), /collector/);
    const c2 = capture();
    assert.equal(await main(["frobnicate"], c2.io), 64);
    assert.match(c2.err(), /unknown command/);
  });
});
