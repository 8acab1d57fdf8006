// Who an agent is over mutual TLS (collector/src/ingest/grpc-tls.ts), and one session per agent id
// (collector/src/control/sessions.ts): a hello's agent_id must be the certificate's CN or a DNS/URI SAN; a
// second session for a connected id is refused unless it came with the same certificate, and then replaces the
// older one, which is closed.
import assert from "node:assert/strict";
import type { Command } from "@eastwest/proto";
import { certNames, identityProblem } from "../../../collector/src/ingest/grpc-tls.ts";
import { AgentCommandError } from "../../../collector/src/control/errors.ts";
import { Sessions, type Session } from "../../../collector/src/control/sessions.ts";

function session(agentId: string, certificate?: string): Session & { closed: string[] } {
  const closed: string[] = [];
  return { agentId, certificate, closed, send: (_c: Command) => undefined, close: (r) => void closed.push(r) };
}

describe("mTLS identity", () => {
  it("names are the CNs and DNS/URI SANs, with Node's JSON-quoted SAN values unquoted", () => {
    assert.deepEqual(certNames({ subject: { CN: "ns1" } as never, subjectaltname: 'DNS:ns1, DNS:"ns1:x", IP Address:10.0.0.2, URI:spiffe://lab/ns1, email:a@b' }), ["ns1", "ns1", "ns1:x", "spiffe://lab/ns1"]);
    assert.deepEqual(certNames({ subject: { CN: ["a", "b"] } as never, subjectaltname: undefined as never }), ["a", "b"]);
    assert.deepEqual(certNames({ subject: undefined as never, subjectaltname: "IP Address:127.0.0.1" }), []);
  });

  it("a hello is accepted when its agent_id is one of the names, exactly", () => {
    const id = { names: ["ns1", "ns1.lab"], fingerprint: "AA" };
    assert.equal(identityProblem("ns1", id, true), undefined);
    assert.equal(identityProblem("ns1.lab", id, true), undefined);
    assert.match(identityProblem("ns2", id, true) as string, /agent_id "ns2" is not the client certificate's CN or a SAN \("ns1", "ns1\.lab"\)/);
    assert.match(identityProblem("NS1", id, true) as string, /is not/);
    assert.equal(identityProblem("ns1", undefined, true), "no client certificate");
    assert.equal(identityProblem("anyone", undefined, false), undefined, "clientAuth none or plaintext: no identity to check");
  });
});

describe("sessions: one per agent id", () => {
  it("refuses a second session with another certificate and keeps the first", () => {
    const s = new Sessions();
    const first = session("a1", "AA");
    assert.deepEqual(s.attach(first), { ok: true });
    const other = session("a1", "BB");
    assert.deepEqual(s.attach(other), { ok: false, reason: "agent a1 is connected with another certificate" });
    assert.deepEqual(s.attach(session("a1")), { ok: false, reason: "agent a1 is connected with another certificate" }, "no certificate is another one");
    assert.deepEqual(first.closed, []);
    s.detach(other);
    assert.equal(s.isConnected("a1"), true, "detaching the refused session leaves the first");
  });

  it("with the same certificate the newer session replaces the older, which is closed and its commands failed", async () => {
    const s = new Sessions();
    const first = session("a1", "AA");
    s.attach(first);
    const pending = s.command("a1", { $case: "hold", value: { forMs: 5 } });
    const second = session("a1", "AA");
    assert.deepEqual(s.attach(second), { ok: true });
    assert.equal(first.closed.length, 1);
    await assert.rejects(pending, (e: unknown) => e instanceof AgentCommandError && /disconnected before answering/.test(e.message));
    s.detach(first);
    assert.equal(s.isConnected("a1"), true, "the older stream ending later does not detach the newer");
  });

  it("without certificates (plaintext) the newer session replaces the older, as before", () => {
    const s = new Sessions();
    const first = session("a1");
    s.attach(first);
    assert.deepEqual(s.attach(session("a1")), { ok: true });
    assert.equal(first.closed.length, 1);
  });
});
