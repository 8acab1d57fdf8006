// gRPC mutual TLS against the real parts: certificates made by `eastwest certs` (the system's openssl) in a temp
// dir, an in-process collector with grpc.tls, real agent processes and bare grpc-js clients. Accepted with the
// agent's certificate; refused at the handshake without one, with one from another CA or expired; refused with
// PERMISSION_DENIED when the hello's agent_id is not the certificate's; a second session for a live id refused
// unless it presents the same certificate (then the older one is closed); TLS 1.1 refused.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { silentLogger } from "@eastwest/common";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { issueAgent } from "../../../cli/src/certs/pki.ts";
import { certs } from "../../helpers/certs.ts";
import { killAll, requireBinary, start, tempDir, waitFor } from "../../helpers/procs.ts";
import { open, tlsAlert, type Stream } from "./client.ts";

function opensslClient(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile("openssl", ["s_client", ...args], { timeout: 10_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }));
    child.stdin?.end();
  });
}

describe("gRPC mutual TLS", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let pki: string;
  let ca: string;
  let collector: Collector;
  const streams: Stream[] = [];
  const agentFiles = (id: string, d = pki) => ({ cert: join(d, `agent-${id}.pem`), key: join(d, `agent-${id}.key`) });
  const connect = (files: { cert?: string; key?: string }, id: string) => {
    const s = open(collector.grpcPort, ca, files, id);
    streams.push(s);
    return s;
  };

  before(async () => {
    requireBinary("openssl");
    dir = tempDir("mtls");
    pki = join(dir.path, "pki");
    ca = join(pki, "ca.pem");
    await certs(["init", "--out", pki, "--days", "2"]);
    await Promise.all(["a1", "a2", "proc-1"].map((id) => certs(["agent", id, "--out", pki, "--days", "2"])));
    await certs(["init", "--out", join(dir.path, "other")]);
    await certs(["agent", "a1", "--out", join(dir.path, "other")]);
    const tls = { ca, cert: join(pki, "collector.pem"), key: join(pki, "collector.key"), reloadMs: 100 };
    collector = new Collector(loadCollectorConfig({ env: {}, flags: { grpc: { port: 0, tls }, http: { port: 0 }, store: { path: join(dir.path, "s.db") } } }), silentLogger());
    await collector.start();
  });

  afterEach(() => {
    for (const s of streams.splice(0)) s.close();
  });

  after(async () => {
    await killAll();
    await collector?.stop();
    dir?.remove();
  });

  it("a real agent with its certificate is welcomed and its batches are stored", async () => {
    const f = agentFiles("proc-1");
    const agent = start(["agent", "--id", "proc-1", "--collector", `127.0.0.1:${collector.grpcPort}`, "--interval-ms", "200", "--log-level", "info", "--tls-ca", ca, "--tls-cert", f.cert, "--tls-key", f.key]);
    const seq = await waitFor(async () => {
      if (agent.child.exitCode !== null) throw new Error(`process exited ${agent.child.exitCode}: ${agent.stderr()}`);
      const s = await collector.store.highestSeq("proc-1");
      return s > 0n ? s : undefined;
    }, 20_000, "a stored batch of proc-1");
    assert.ok(seq > 0n);
    assert.match(agent.stderr(), /"msg":"gRPC to the collector over TLS"/);
    assert.equal(await agent.kill("SIGTERM"), 0);
  });

  it("refuses at the handshake a client without a certificate, with one from another CA, or an expired one", async () => {
    const expired = await issueAgent(pki, "a1", -1, { cert: join(dir.path, "expired.pem"), key: join(dir.path, "expired.key") });
    const cases = [
      ["no certificate", {}],
      ["another CA", agentFiles("a1", join(dir.path, "other"))],
      ["expired", expired],
    ] as const;
    assert.equal(await tlsAlert(collector.grpcPort, ca, agentFiles("a1")), "accepted", "the agent's own certificate passes");
    for (const [what, files] of cases) {
      // why: Node's server ends a connection whose certificate does not verify without an alert; only a missing
      // certificate gets OpenSSL's "certificate required". Either way the server never speaks HTTP/2 to it.
      assert.match(await tlsAlert(collector.grpcPort, ca, files), /^(closed|ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ECONNRESET)$/, what);
      const o = await connect(files, "a1").first;
      assert.equal(o.welcome, false, what);
      if (!o.welcome) assert.equal(o.code, status.UNAVAILABLE, `${what}: ${o.details}`);
      assert.equal(collector.sessions.isConnected("a1"), false, what);
    }
    assert.equal(await collector.store.highestSeq("a1"), 0n);
  });

  it("ends the stream with PERMISSION_DENIED when the hello's agent_id is not the certificate's", async () => {
    const o = await connect(agentFiles("a2"), "a1").first;
    assert.deepEqual(o.welcome ? o : { code: o.code, mismatch: /agent_id "a1" is not the client certificate's CN or a SAN \("a2"/.test(o.details) }, { code: status.PERMISSION_DENIED, mismatch: true });
    assert.equal(collector.sessions.isConnected("a1"), false);
    assert.equal((await connect(agentFiles("a2"), "a2").first).welcome, true, "the same certificate with its own id is welcome");
  });

  it("refuses a second session for a live id with another certificate; the same certificate replaces the older session", async () => {
    const first = connect(agentFiles("a1"), "a1");
    assert.deepEqual(await first.first, { welcome: true });
    const again = await issueAgent(pki, "a1", 2, { cert: join(dir.path, "a1-again.pem"), key: join(dir.path, "a1-again.key") });
    const impostor = await connect(again, "a1").first;
    assert.equal(impostor.welcome, false);
    if (!impostor.welcome) assert.deepEqual([impostor.code, impostor.details], [status.PERMISSION_DENIED, "hello refused: agent a1 is connected with another certificate"]);
    const cmd = collector.sessions.commandWithId("a1", { $case: "hold", value: { forMs: 0 } }, 1000);
    cmd.result.catch(() => undefined);
    await waitFor(() => (first.commands.includes(cmd.id) ? true : undefined), 5000, "the command on the first session");
    const second = connect(agentFiles("a1"), "a1");
    assert.deepEqual(await second.first, { welcome: true });
    assert.equal((await first.ended).code, status.ABORTED, "the older session is closed");
    const cmd2 = collector.sessions.commandWithId("a1", { $case: "hold", value: { forMs: 0 } }, 1000);
    cmd2.result.catch(() => undefined);
    await waitFor(() => (second.commands.includes(cmd2.id) ? true : undefined), 5000, "the command on the newer session");
  });

  it("speaks TLS 1.2 and refuses TLS 1.1", async () => {
    const f = agentFiles("a1");
    const common = ["-connect", `127.0.0.1:${collector.grpcPort}`, "-CAfile", ca, "-cert", f.cert, "-key", f.key];
    const v12 = await opensslClient([...common, "-tls1_2"]);
    assert.match(v12.out, /Protocol\s*: TLSv1\.2/);
    assert.match(v12.out, /Verify return code: 0 \(ok\)/);
    // why: SECLEVEL=0 lets this openssl offer TLS 1.1 at all, so the refusal is the server's.
    const v11 = await opensslClient([...common, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]);
    assert.notEqual(v11.code, 0);
    assert.match(v11.out, /alert protocol version/);
  });
});
