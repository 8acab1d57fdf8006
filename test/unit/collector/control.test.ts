// The control plane without a transport: sessions send commands and settle them by result, deadline or detach,
// always rejecting with AgentCommandError; the hold command turns the agent's answer into its hold state.
import assert from "node:assert/strict";
import type { Command } from "@eastwest/proto";
import { AgentCommandError } from "../../../collector/src/control/errors.ts";
import { holdAgent } from "../../../collector/src/control/hold.ts";
import { Sessions, type Session } from "../../../collector/src/control/sessions.ts";

/** A session that records what it is sent. */
function fakeSession(agentId: string): Session & { sent: Command[] } {
  const sent: Command[] = [];
  return { agentId, sent, send: (cmd) => void sent.push(cmd) };
}

const answer = (id: string, ok: boolean, json: string, error = "") => ({ id, ok, json, error, startedNs: 1n, finishedNs: 2n });

describe("control: sessions", () => {
  it("a command to an agent that is not connected rejects with AgentCommandError", async () => {
    await assert.rejects(new Sessions().command("nobody", { $case: "hold", value: { forMs: 0 } }), (e: unknown) => e instanceof AgentCommandError && /nobody is not connected/.test(e.message));
  });

  it("a command resolves with the agent's result", async () => {
    const sessions = new Sessions();
    const s = fakeSession("a1");
    sessions.attach(s);
    const pending = sessions.command("a1", { $case: "hold", value: { forMs: 5 } });
    const sent = s.sent[0] as Command;
    sessions.onResult(answer(sent.id, true, "{}"));
    assert.equal((await pending).ok, true);
  });

  it("detach rejects the agent's pending commands with AgentCommandError", async () => {
    const sessions = new Sessions();
    const s = fakeSession("a1");
    sessions.attach(s);
    const pending = sessions.command("a1", { $case: "hold", value: { forMs: 5 } });
    sessions.detach(s);
    await assert.rejects(pending, (e: unknown) => e instanceof AgentCommandError && /disconnected before answering/.test(e.message));
    assert.equal(sessions.isConnected("a1"), false);
  });
});

describe("control: holdAgent", () => {
  const reply = (ok: boolean, json: string, error = "") => ({
    isConnected: (id: string) => id === "a1",
    command: (_id: string, kind: Command["kind"]) => {
      assert.deepEqual(kind, { $case: "hold", value: { forMs: 60_000 } });
      return Promise.resolve(answer("x", ok, json, error));
    },
  });

  it("resolves with the agent's hold state", async () => {
    assert.deepEqual(await holdAgent(reply(true, '{"holding":true,"held_ticks":0,"held_bytes":0}'), "a1", 60_000), { holding: true, held_ticks: 0, held_bytes: 0 });
  });

  it("rejects with AgentCommandError for an agent that is not connected or answers with a failure", async () => {
    await assert.rejects(holdAgent(reply(true, "{}"), "a2", 60_000), (e: unknown) => e instanceof AgentCommandError && e.message === "agent a2 is not connected");
    await assert.rejects(holdAgent(reply(false, "", "no hold here"), "a1", 60_000), (e: unknown) => e instanceof AgentCommandError && e.message === "hold on a1 failed: no hold here");
  });
});
