// NATS credentials and TLS keys (common/src/nats/security.ts): secure by default (a server off loopback needs
// credentials and TLS unless insecure), one credential method, env bindings, the connect options they make, and
// the per-agent permissions rendered for nats-server (common/src/nats/permissions.ts).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "@eastwest/common";
import { loadAgentConfig } from "../../../agent/src/config.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { agentPermissions, collectorPermissions, renderAccount } from "../../../common/src/nats/permissions.ts";
import { natsInsecureWarning, natsSecureOptions, natsServerHost } from "../../../common/src/nats/security.ts";
import { tempDir } from "../../helpers/procs.ts";

const REMOTE = "nats://nats.example.internal:4222";
const agentNats = (nats: Record<string, unknown>, transport = "nats") => loadAgentConfig({ env: {}, flags: { collector: { transport }, nats } });

function problems(load: () => unknown): string {
  try {
    load();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.join("\n");
  }
  return "";
}

describe("config: NATS credentials and TLS", () => {
  it("a server off loopback needs credentials and TLS, unless insecure", () => {
    const text = problems(() => agentNats({ servers: `nats://127.0.0.1:4222,${REMOTE}` }));
    assert.match(text, /nats\.servers: nats:\/\/nats\.example\.internal:4222 not on loopback: configure credentials .* and tls/);
    assert.match(problems(() => agentNats({ servers: REMOTE, nkeySeedFile: "/s.nk" })), /configure tls/);
    assert.equal(problems(() => agentNats({ servers: REMOTE, nkeySeedFile: "/s.nk", tls: { ca: "/ca.pem" } })), "");
    assert.equal(problems(() => agentNats({ servers: REMOTE, insecure: true })), "");
    assert.equal(problems(() => agentNats({ servers: "nats://localhost:4222,[::1]:4222,127.0.0.5:4222" })), "", "loopback needs nothing");
    assert.equal(problems(() => agentNats({ servers: REMOTE }, "grpc")), "", "an agent on gRPC does not use NATS");
    const collector = (enabled: boolean) => () => loadCollectorConfig({ env: {}, flags: { nats: { enabled, servers: REMOTE } } });
    assert.equal(problems(collector(false)), "");
    assert.match(problems(collector(true)), /nats\.servers: .* not on loopback/);
  });

  it("one credential method; user with passwordFile; tls.cert with tls.key; every problem at once", () => {
    const text = problems(() => agentNats({ nkeySeedFile: "/a", credsFile: "/b", user: "u", tls: { cert: "/c.pem" } }));
    for (const want of [/choose one of/, /nats\.passwordFile: user and passwordFile go together/, /nats\.tls\.key: tls\.cert and tls\.key go together/]) assert.match(text, want);
  });

  it("takes every key from the environment", () => {
    const env = { EASTWEST_TRANSPORT: "nats", EASTWEST_NATS_SERVERS: REMOTE, EASTWEST_NATS_USER: "u1", EASTWEST_NATS_PASSWORD_FILE: "/p", EASTWEST_NATS_TLS_CA: "/ca", EASTWEST_NATS_TLS_CERT: "/c", EASTWEST_NATS_TLS_KEY: "/k", EASTWEST_NATS_TLS_SERVER_NAME: "nats.internal" };
    const c = loadAgentConfig({ env, flags: {} });
    assert.deepEqual({ user: c.nats.user, passwordFile: c.nats.passwordFile, tls: c.nats.tls, insecure: c.nats.insecure }, { user: "u1", passwordFile: "/p", tls: { ca: "/ca", cert: "/c", key: "/k", serverName: "nats.internal" }, insecure: false });
    const col = loadCollectorConfig({ env: { EASTWEST_NATS_ENABLED: "true", EASTWEST_NATS_SERVERS: REMOTE, EASTWEST_NATS_CREDS_FILE: "/u.creds", EASTWEST_NATS_TLS_CA: "/ca" }, flags: {} });
    assert.equal(col.nats.credsFile, "/u.creds");
    assert.equal(loadCollectorConfig({ env: { EASTWEST_NATS_INSECURE: "true", EASTWEST_NATS_NKEY_SEED_FILE: "/s" }, flags: {} }).nats.nkeySeedFile, "/s");
  });

  it("connect options: secrets read from their files at each connect, TLS 1.2 at least, the server name", () => {
    const dir = tempDir("nats-sec");
    try {
      const pw = join(dir.path, "pw");
      writeFileSync(pw, "first\n");
      type Made = () => unknown;
      const auth = { usernamePasswordAuthenticator: (user: string, pass: () => string): Made => () => ({ user, pass: pass() }), nkeyAuthenticator: (s: () => Uint8Array): Made => () => s(), credsAuthenticator: (s: () => Uint8Array): Made => () => s() };
      const o = natsSecureOptions({ servers: [REMOTE], user: "u", passwordFile: pw, tls: { ca: "/ca.pem", serverName: "nats.internal" }, insecure: false }, auth);
      assert.deepEqual(o.authenticator?.(), { user: "u", pass: "first" });
      writeFileSync(pw, "rotated");
      assert.deepEqual(o.authenticator?.(), { user: "u", pass: "rotated" }, "re-read at the next connect");
      assert.deepEqual(o.tls, { minVersion: "TLSv1.2", caFile: "/ca.pem", servername: "nats.internal" });
      const seed = natsSecureOptions({ servers: [REMOTE], nkeySeedFile: join(dir.path, "nope.nk"), insecure: false }, auth);
      assert.throws(() => seed.authenticator?.(), /NATS nkeySeedFile .*nope\.nk: .*ENOENT/);
    } finally {
      dir.remove();
    }
  });

  it("insecure is loud; hosts are read from every server form", () => {
    assert.match(natsInsecureWarning({ servers: [REMOTE], insecure: true }) ?? "", /without TLS, without credentials/);
    assert.equal(natsInsecureWarning({ servers: [REMOTE], insecure: false }), undefined);
    assert.deepEqual(["nats://h:4222", "tls://[::1]:4222", "10.0.0.1:4222"].map(natsServerHost), ["h", "::1", "10.0.0.1"]);
  });
});

describe("NATS permissions for nats-server", () => {
  it("an agent may use only the subjects of its own id's token", () => {
    assert.deepEqual(agentPermissions("eastwest.v1", "ns1.lab"), {
      publish: ["eastwest.v1.batch.*.*.ns1_2elab", "eastwest.v1.hello.*.*.ns1_2elab"],
      subscribe: ["eastwest.v1.cmd.*.*.ns1_2elab.*", "eastwest.v1.inbox.ns1_2elab.>"],
    });
  });

  it("the collector gets its stream's and consumer's API, commands and hellos; users render quoted", () => {
    const p = collectorPermissions({ subjectPrefix: "eastwest.v1", stream: "S", consumer: "C" });
    for (const s of ["eastwest.v1.cmd.>", "$JS.API.STREAM.INFO.S", "$JS.API.CONSUMER.MSG.NEXT.S.C", "$JS.ACK.S.C.>"]) assert.ok(p.publish.includes(s), s);
    assert.ok(!p.publish.some((s) => s.includes("batch")), "collectors never publish batches");
    // With its id, a collector sends commands on its own command subjects only (the agent trusts that token).
    assert.equal(collectorPermissions({ subjectPrefix: "eastwest.v1", stream: "S", consumer: "C" }, "c.1").publish[0], "eastwest.v1.cmd.*.*.*.c_2e1");
    const text = renderAccount("EASTWEST", [{ label: "agent x\ny", identity: { nkey: "UABC" }, permissions: agentPermissions("eastwest.v1", "x") }]);
    assert.match(text, /^EASTWEST \{\n {4}jetstream: enabled\n/);
    assert.match(text, /# agent x y\n {6}\{ nkey: "UABC"\n/);
    assert.match(text, /allow_responses: true/);
  });
});
