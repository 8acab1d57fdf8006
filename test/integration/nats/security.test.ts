// NATS with TLS and eastwest's per-agent permissions on a real nats-server (secure-fixtures.ts): an agent with its
// nkey streams end to end; what it may not do (publish as another agent, read another agent's commands or replies)
// the server refuses; wrong credentials and an untrusted server certificate fail the connect with a clear error.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect, nkeyAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Batch } from "@eastwest/proto";
import type { Collector } from "../../../collector/src/collector.ts";
import { streamHighestSeq } from "../../../collector/src/ingest/nats-hello.ts";
import { batchSubject, commandSubject, DEFAULT_STREAM, helloSubject, DEFAULT_SUBJECT_PREFIX, inboxPrefixOf, msgIdOf } from "../../../common/src/nats/subjects.ts";
import { killAll, start, tempDir, waitFor } from "../../helpers/procs.ts";
import { goodBatch, HOST, SITE, startNatsCollector } from "./fixtures.ts";
import { startSecureNats, type SecureNats } from "./secure-fixtures.ts";

const parts = (agentId: string) => ({ prefix: DEFAULT_SUBJECT_PREFIX, site: SITE, host: HOST, agentId });

function agentConfig(dir: string, id: string, url: string, auth: Record<string, unknown>): string {
  const file = join(dir, `${id}.yaml`);
  // why: commands over NATS run only from the collectors an agent names (this file's collector is col-sec).
  const nats = { servers: url, site: SITE, collectors: ["col-sec"], ...auth };
  writeFileSync(
    file,
    [
      "agent:",
      `  id: ${id}`,
      "  intervalMs: 100",
      "  collector: { transport: nats, backoffMinMs: 50, backoffMaxMs: 300 }",
      `  nats: ${JSON.stringify(nats)}`,
      "  batch: { maxPoints: 200, maxDelayMs: 50 }",
      "  samplers: { netstate: { enabled: false }, tcpinfo: { enabled: false } }",
      "",
    ].join("\n"),
  );
  return file;
}

/** A raw client logged in as user `as` (its seed; an agent's inbox prefix), over TLS. */
function connectAs(n: SecureNats, as: "a1" | "collector"): Promise<NatsConnection> {
  const seed = new TextEncoder().encode(readFileSync(n.seeds[as], "utf8").trim());
  const inbox = as === "collector" ? {} : { inboxPrefix: inboxPrefixOf(DEFAULT_SUBJECT_PREFIX, as) };
  return connect({ servers: n.server.url, authenticator: nkeyAuthenticator(seed), tls: { caFile: n.caFile }, ...inbox });
}

describe("nats security: TLS, credentials and per-agent permissions on a real nats-server", function () {
  this.timeout(90_000);
  let n: SecureNats;
  let dir: ReturnType<typeof tempDir>;
  let collector: Collector | undefined;
  const clients: NatsConnection[] = [];

  beforeEach(async () => {
    n = await startSecureNats();
    dir = tempDir("nats-security");
  });
  afterEach(async () => {
    await killAll();
    await collector?.stop();
    collector = undefined;
    for (const c of clients.splice(0)) await c.close();
    await n.server.stop();
    dir.remove();
  });

  const startCollector = async (): Promise<Collector> => {
    collector = await startNatsCollector("col-sec", join(dir.path, "store.db"), n.server.url, { nkeySeedFile: n.seeds.collector, tls: { ca: n.caFile } });
    return collector;
  };

  it("an agent with its nkey, over TLS, is stored end to end and answers a command", async () => {
    const c = await startCollector();
    start(["agent", "--config", agentConfig(dir.path, "a1", n.server.url, { nkeySeedFile: n.seeds.a1, tls: { ca: n.caFile } }), "--log-level", "warn"]);
    await waitFor(async () => ((await c.store.latest({ measurement: "cpu", tags: { agent_id: "a1" } })).length > 0 ? true : undefined), 30_000, "a1's samples in the store");
    const result = await c.sessions.command("a1", { $case: "setInterval", value: { sampler: "", intervalMs: 200, forMs: 1000 } }, 10_000);
    assert.equal(result.ok, true, result.error);
    assert.deepEqual(await c.store.gaps("a1"), []);
  });

  it("an agent with user and passwordFile is stored end to end", async () => {
    const c = await startCollector();
    start(["agent", "--config", agentConfig(dir.path, "p1", n.server.url, { user: "p1", passwordFile: n.passwordFile, tls: { ca: n.caFile } }), "--log-level", "warn"]);
    await waitFor(async () => ((await c.store.highestSeq("p1")) >= 2n ? true : undefined), 30_000, "p1's batches in the store");
  });

  it("a batch, hello or command on another agent's subject is refused by the server; nothing is stored", async () => {
    const c = await startCollector();
    const nc = await connectAs(n, "a1");
    clients.push(nc);
    const js = jetstream(nc, { timeout: 3000 });
    const forged = Batch.encode(goodBatch("a2", 1n)).finish();
    await assert.rejects(js.publish(batchSubject(parts("a2")), forged, { msgID: msgIdOf("a2", 1n) }), /permissions violation for publish/i);
    for (const subject of [helloSubject(parts("a2")), commandSubject(parts("a2"))]) await assert.rejects(nc.request(subject, new Uint8Array(1), { timeout: 3000 }), /permissions violation for publish/i, subject);
    // why: the server handles one client's messages in order, so once a1's own batch is stored the forged one was handled.
    await js.publish(batchSubject(parts("a1")), Batch.encode(goodBatch("a1", 1n)).finish(), { msgID: msgIdOf("a1", 1n) });
    await waitFor(async () => ((await c.store.highestSeq("a1")) === 1n ? true : undefined), 20_000, "a1's own batch stored");
    assert.equal(await c.store.highestSeq("a2"), 0n, "nothing stored for a2");
    const side = await connectAs(n, "collector");
    clients.push(side);
    const jsm = await jetstreamManager(side);
    assert.equal(await streamHighestSeq(jsm, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, "a2"), 0n, "nothing in the stream for a2");
  });

  it("an agent cannot subscribe to another agent's command subject or reply inbox", async () => {
    const nc = await connectAs(n, "a1");
    clients.push(nc);
    for (const subject of [commandSubject(parts("a2")), `${commandSubject(parts("a2"))}.*`, `${inboxPrefixOf(DEFAULT_SUBJECT_PREFIX, "a2")}.>`, `${DEFAULT_SUBJECT_PREFIX}.cmd.>`]) {
      const sub = nc.subscribe(subject);
      const closed = await sub.closed;
      assert.match(String(closed), /permissions violation for subscription/i, subject);
    }
    // The agent serves one command subject per collector (<cmd subject>.<collector>).
    const own = nc.subscribe(`${commandSubject(parts("a1"))}.*`);
    await nc.flush();
    assert.equal(own.isClosed(), false, "its own command subject is allowed");
  });

  it("wrong seed, unknown seed, wrong password: refused at connect with a clear error", async () => {
    const wrong = join(dir.path, "wrong.password");
    writeFileSync(wrong, "not the password\n");
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ nkeySeedFile: n.seeds.stranger }, /refused nkey seed .*stranger\.nk.*authorization violation/i],
      [{ user: "p1", passwordFile: wrong }, /refused user p1.*authorization violation/i],
      [{ nkeySeedFile: join(dir.path, "missing.nk") }, /nkeySeedFile .*missing\.nk.*ENOENT/],
    ];
    for (const [auth, want] of cases) {
      await assert.rejects(startNatsCollector("col-bad", join(dir.path, "bad.db"), n.server.url, { ...auth, tls: { ca: n.caFile }, connectTimeoutMs: 5000 }), (err: Error) => {
        assert.match(err.message, want);
        return true;
      });
    }
  });

  it("deploy/nats/nats.conf: TLS and authentication required, monitoring on loopback", async () => {
    const varz = (await (await fetch(`http://127.0.0.1:${n.monitorPort}/varz`)).json()) as { http_host?: string; auth_required?: boolean; tls_required?: boolean };
    assert.deepEqual({ http: varz.http_host, auth: varz.auth_required, tls: varz.tls_required }, { http: "127.0.0.1", auth: true, tls: true });
    await assert.rejects(connect({ servers: n.server.url, tls: { caFile: n.caFile } }), /authorization violation/i, "no anonymous user");
  });

  it("TLS: a server certificate from another CA is refused", async () => {
    await assert.rejects(startNatsCollector("col-ca", join(dir.path, "ca.db"), n.server.url, { nkeySeedFile: n.seeds.collector, tls: { ca: n.otherCaFile } }), /cannot connect to NATS.*certificate/i);
  });
});
