// The subject scheme, dedup ids and NATS config (pure; no server).
import assert from "node:assert/strict";
import { ConfigError } from "@eastwest/common";
import { loadAgentConfig } from "../../../agent/src/config.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { consumerConfig, streamConfig } from "../../../collector/src/ingest/nats-setup.ts";
import { termTakesReason } from "../../../collector/src/ingest/nats.ts";
import { agentBatchFilter, agentTokenOf, batchSubject, collectorCommandSubject, commandSubjectOf, helloSubject, idOfToken, msgIdOf, seqOfMsgId, tokenOf } from "../../../common/src/nats/subjects.ts";

describe("nats: subjects and config", () => {
  it("tokens keep [A-Za-z0-9-] and escape every other byte, injectively", () => {
    assert.equal(tokenOf("hv01"), "hv01");
    assert.equal(tokenOf("ns1.lab"), "ns1_2elab");
    assert.equal(tokenOf("ns1_lab"), "ns1_5flab");
    assert.equal(tokenOf("a:b c*>"), "a_3ab_20c_2a_3e");
    assert.equal(tokenOf("é"), "_c3_a9");
    assert.equal(tokenOf(""), "_");
    const ids = ["a.b", "a_b", "a_2eb", "a-b", "a:b", "a", "_", ""];
    assert.equal(new Set(ids.map(tokenOf)).size, ids.length);
    for (const id of ids) assert.match(tokenOf(id), /^[A-Za-z0-9_-]+$/);
    for (const id of [...ids, "é", "a:b c*>"]) assert.equal(idOfToken(tokenOf(id)), id, `${id} back from its token`);
    for (const bad of ["a.b", "a_2", "a_ZZ", "a_2E", "a b", "_c3"]) assert.equal(idOfToken(bad), undefined, `${bad} is no token`);
  });

  it("subjects: <prefix>.<kind>.<site>.<host>.<agent>", () => {
    const p = { prefix: "eastwest.v1", site: "dc 1", host: "hv01.example", agentId: "vm-a:1" };
    assert.equal(batchSubject(p), "eastwest.v1.batch.dc_201.hv01_2eexample.vm-a_3a1");
    assert.equal(helloSubject(p), "eastwest.v1.hello.dc_201.hv01_2eexample.vm-a_3a1");
    assert.equal(commandSubjectOf(helloSubject(p), "eastwest.v1"), "eastwest.v1.cmd.dc_201.hv01_2eexample.vm-a_3a1");
    assert.equal(collectorCommandSubject(commandSubjectOf(helloSubject(p), "eastwest.v1"), "col.1"), "eastwest.v1.cmd.dc_201.hv01_2eexample.vm-a_3a1.col_2e1");
    assert.equal(agentTokenOf(batchSubject(p)), tokenOf("vm-a:1"));
    assert.equal(agentBatchFilter("eastwest.v1", "vm-a:1"), "eastwest.v1.batch.*.*.vm-a_3a1");
  });

  it("Nats-Msg-Id is <agent_id>:<seq>; agent ids with ':' parse back", () => {
    assert.equal(msgIdOf("vm-a:1", 42n), "vm-a:1:42");
    assert.equal(seqOfMsgId("vm-a:1:42", "vm-a:1"), 42n);
    assert.equal(seqOfMsgId("vm-a:1:42", "vm-a"), undefined);
    assert.equal(seqOfMsgId("vm-a:x", "vm-a"), undefined);
    assert.equal(seqOfMsgId("", "vm-a"), undefined);
  });

  it("agent: transport nats, servers from EASTWEST_NATS_SERVERS as a comma list", () => {
    const env = { EASTWEST_TRANSPORT: "nats", EASTWEST_NATS_SERVERS: "nats://10.0.0.1:4222, 10.0.0.2:4222", EASTWEST_NATS_NKEY_SEED_FILE: "/a1.nk", EASTWEST_NATS_TLS_CA: "/ca.pem" };
    const c = loadAgentConfig({ env, flags: { id: "a1" } });
    assert.equal(c.collector.transport, "nats");
    assert.deepEqual(c.nats.servers, ["nats://10.0.0.1:4222", "10.0.0.2:4222"]);
    assert.equal(c.nats.subjectPrefix, "eastwest.v1");
    assert.equal(c.nats.stream, "EASTWEST_BATCHES");
  });

  it("config errors are reported together", () => {
    assert.throws(
      () => loadAgentConfig({ env: {}, flags: { id: "a1", nats: { servers: "http://x", subjectPrefix: "a..b", stream: "has.dot" } } }),
      (e: unknown) => e instanceof ConfigError && e.problems.length === 3,
    );
    assert.throws(
      () => loadCollectorConfig({ env: { EASTWEST_NATS_ENABLED: "yes" }, flags: { nats: { maxAgeMs: 60_000, duplicateWindowMs: 120_000, maxDeliver: 0 } } }),
      (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.startsWith("nats.duplicateWindowMs")) && e.problems.some((p) => p.startsWith("nats.maxDeliver")),
    );
  });

  it("collector: a file-backed limits stream and an explicit-ack durable pull consumer", () => {
    const n = loadCollectorConfig({ env: { EASTWEST_NATS_ENABLED: "true" }, flags: {} }).nats;
    assert.equal(n.enabled, true);
    const s = streamConfig(n);
    assert.deepEqual([s.storage, s.retention, s.subjects], ["file", "limits", ["eastwest.v1.batch.>"]]);
    assert.equal(s.duplicate_window, 120_000_000_000);
    const c = consumerConfig(n);
    assert.deepEqual([c.durable_name, c.ack_policy, c.max_deliver, c.ack_wait], ["eastwest-collectors", "explicit", -1, 30_000_000_000]);
  });

  it("term carries its reason only on servers that understand it", () => {
    assert.equal(termTakesReason("2.9.10"), false);
    assert.equal(termTakesReason("2.11.0"), true);
    assert.equal(termTakesReason("3.0.0"), true);
    assert.equal(termTakesReason(undefined), false);
  });
});
