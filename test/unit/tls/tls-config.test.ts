// Plaintext only on loopback: the collector's grpc section and the agent's collector section refuse plaintext
// beyond loopback unless insecure is set, check their TLS keys together, and read EASTWEST_TLS_* into their own
// section; the CLI exits 78 listing every problem.
import assert from "node:assert/strict";
import { ConfigError, isLoopbackHost } from "@eastwest/common";
import { loadAgentConfig } from "../../../agent/src/config.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { main } from "../../../cli/src/main.ts";

function problemsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

const collector = (grpc: Record<string, unknown>, env: Record<string, string> = {}) => () => loadCollectorConfig({ env, flags: { grpc } });
const agent = (c: Record<string, unknown>, env: Record<string, string> = {}) => () => loadAgentConfig({ env, flags: { id: "a1", collector: c } });

describe("TLS config: plaintext only on loopback", () => {
  it("tells loopback hosts from the others", () => {
    for (const h of ["127.0.0.1", "127.9.8.7", "::1", "[::1]", "localhost", "LOCALHOST", "::ffff:127.0.0.1"]) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "localhost.example", "collector", "::2", "::ffff:10.0.0.1"]) assert.equal(isLoopbackHost(h), false, h);
  });

  it("collector: a non-loopback grpc.host needs TLS or insecure; loopback needs neither", () => {
    assert.deepEqual(problemsOf(collector({ host: "127.0.0.1" })), []);
    const p = problemsOf(collector({ host: "0.0.0.0" }));
    assert.equal(p.length, 1);
    assert.match(p[0] as string, /^grpc\.host: 0\.0\.0\.0 is not loopback: configure TLS .* or set insecure: true/);
    assert.deepEqual(problemsOf(collector({ host: "0.0.0.0", insecure: true })), []);
    assert.deepEqual(problemsOf(collector({ host: "0.0.0.0", tls: { ca: "ca.pem", cert: "c.pem", key: "c.key" } })), []);
    assert.deepEqual(problemsOf(collector({}, { EASTWEST_GRPC_HOST: "10.1.2.3", EASTWEST_GRPC_INSECURE: "true" })), []);
  });

  it("collector: cert and key together, a CA when client certificates are required, a CA only with a certificate", () => {
    const p = problemsOf(collector({ host: "10.0.0.1", tls: { cert: "c.pem" } })).join("\n");
    assert.match(p, /grpc\.tls\.key: cert and key must be given together/);
    assert.match(p, /grpc\.tls\.ca: needed to verify agents' certificates \(clientAuth: require\)/);
    assert.deepEqual(problemsOf(collector({ host: "10.0.0.1", tls: { cert: "c.pem", key: "c.key", clientAuth: "none" } })), []);
    assert.match(problemsOf(collector({ tls: { ca: "ca.pem" } })).join("\n"), /grpc\.tls\.ca: needs tls\.cert and tls\.key/);
  });

  it("collector: EASTWEST_TLS_* fill grpc.tls", () => {
    const c = loadCollectorConfig({ env: { EASTWEST_TLS_CA: "/p/ca.pem", EASTWEST_TLS_CERT: "/p/c.pem", EASTWEST_TLS_KEY: "/p/c.key", EASTWEST_TLS_CLIENT_AUTH: "none" }, flags: {} });
    assert.deepEqual(c.grpc.tls, { ca: "/p/ca.pem", cert: "/p/c.pem", key: "/p/c.key", clientAuth: "none", reloadMs: 10_000 });
    assert.equal(c.grpc.insecure, false);
  });

  it("agent: a non-loopback collector needs collector.tls.ca or insecure; NATS transport is not concerned", () => {
    assert.deepEqual(problemsOf(agent({ address: "[::1]:7470" })), []);
    assert.match(problemsOf(agent({ address: "10.0.0.1:7470" })).join("\n"), /^collector\.address: 10\.0\.0\.1:7470 is not loopback/);
    assert.deepEqual(problemsOf(agent({ address: "10.0.0.1:7470", insecure: true })), []);
    assert.deepEqual(problemsOf(agent({ address: "10.0.0.1:7470" }, { EASTWEST_TLS_CA: "/p/ca.pem" })), []);
    assert.deepEqual(problemsOf(agent({ address: "10.0.0.1:7470", transport: "nats" })), []);
    assert.deepEqual(problemsOf(agent({ address: "10.0.0.1:7470" }, { EASTWEST_COLLECTOR_INSECURE: "1" })), []);
  });

  it("agent: cert and key together, and a CA to check the collector with", () => {
    const p = problemsOf(agent({ address: "h:1", tls: { cert: "a.pem" } })).join("\n");
    assert.match(p, /collector\.tls\.key: cert and key must be given together/);
    assert.match(p, /collector\.tls\.ca: needed to verify the collector's certificate/);
    const c = loadAgentConfig({ env: { EASTWEST_TLS_CA: "ca", EASTWEST_TLS_CERT: "a.pem", EASTWEST_TLS_KEY: "a.key", EASTWEST_TLS_SERVER_NAME: "collector.lab" }, flags: { id: "a1", collector: { address: "h:1" } } });
    assert.deepEqual(c.collector.tls, { ca: "ca", cert: "a.pem", key: "a.key", serverName: "collector.lab", reloadMs: 10_000 });
  });

  it("the CLI exits 78 for plaintext beyond loopback and for TLS files it cannot use, listing every problem", async () => {
    let err = "";
    const io = { stdout: () => undefined, stderr: (s: string) => void (err += s) };
    assert.equal(await main(["collector", "--grpc-host", "10.9.8.7", "--print-config"], io), 78);
    assert.match(err, /grpc\.host: 10\.9\.8\.7 is not loopback/);
    err = "";
    assert.equal(await main(["agent", "--collector", "10.9.8.7:7470", "--tls-cert", "x.pem", "--print-config"], io), 78);
    assert.match(err, /collector\.tls\.key: cert and key must be given together/);
    assert.match(err, /collector\.tls\.ca: needed/);
    err = "";
    assert.equal(await main(["agent", "--collector", "10.9.8.7:7470", "--tls-ca", "/nonexistent/ca.pem"], io), 78);
    assert.match(err, /collector\.tls\.ca \/nonexistent\/ca\.pem: ENOENT/);
  });
});
