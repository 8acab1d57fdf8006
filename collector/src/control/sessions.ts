// Connected agents and the commands sent to them. Receivers attach a Session
// when an agent said hello and detach it when its stream ends. One session per
// agent id: a second one is refused while the first is attached, unless both
// came with the same client certificate (or both with none: plaintext, or TLS
// without client certificates), in which case the newer replaces the older,
// which is closed (an agent reconnecting before its old stream was seen dead).
// A command
// resolves with the agent's CommandResult (ok or not), or rejects with
// AgentCommandError when the agent is not connected, does not answer within
// its deadline (+2 s for the way back), or goes away before answering.
import { randomUUID } from "node:crypto";
import type { Command, CommandResult } from "@eastwest/proto";
import { AgentCommandError } from "./errors.ts";

/** One agent's command channel, given by the receiver its stream came in on. */
export interface Session {
  agentId: string;
  send(cmd: Command): void;
  /** SHA-256 fingerprint of the client certificate the session came with; undefined without one. */
  certificate?: string | undefined;
  /** Ends the session's stream (a newer session of the same agent and certificate replaced it). */
  close?(reason: string): void;
}

/** attach()'s answer: refused when another certificate holds the agent id. */
export type AttachOutcome = { ok: true } | { ok: false; reason: string };

interface Pending {
  agentId: string;
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class Sessions {
  #byAgent = new Map<string, Session>();
  #pending = new Map<string, Pending>();
  #waiters: Array<{ agentId: string; resolve: () => void }> = [];

  attach(s: Session): AttachOutcome {
    const old = this.#byAgent.get(s.agentId);
    if (old !== undefined && old !== s) {
      if (old.certificate !== s.certificate) return { ok: false, reason: `agent ${s.agentId} is connected with another certificate` };
      this.detach(old);
      old.close?.(s.certificate === undefined ? "replaced by a newer session of the same agent (no client certificates: plaintext or clientAuth none)" : "replaced by a newer session of the same agent and certificate");
    }
    this.#byAgent.set(s.agentId, s);
    for (const w of this.#waiters.filter((w) => w.agentId === s.agentId)) w.resolve();
    this.#waiters = this.#waiters.filter((w) => w.agentId !== s.agentId);
    return { ok: true };
  }

  detach(s: Session): void {
    if (this.#byAgent.get(s.agentId) !== s) return;
    this.#byAgent.delete(s.agentId);
    for (const [id, p] of this.#pending) {
      if (p.agentId !== s.agentId) continue;
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(new AgentCommandError(`agent ${s.agentId} disconnected before answering command ${id}`));
    }
  }

  connected(): string[] {
    return [...this.#byAgent.keys()];
  }

  isConnected(agentId: string): boolean {
    return this.#byAgent.has(agentId);
  }

  /** Resolves when the agent is connected (now or later), rejects after timeoutMs. */
  waitFor(agentId: string, timeoutMs: number): Promise<void> {
    if (this.#byAgent.has(agentId)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new AgentCommandError(`agent ${agentId} did not connect within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({ agentId, resolve: () => (clearTimeout(t), resolve()) });
    });
  }

  /** Sends a command and waits for its result (deadline: deadlineMs, default 60 s). */
  command(agentId: string, kind: Command["kind"], deadlineMs = 60_000): Promise<CommandResult> {
    return this.commandWithId(agentId, kind, deadlineMs).result;
  }

  /** Like command(), also giving the command's id (to cancel it). */
  commandWithId(agentId: string, kind: Command["kind"], deadlineMs = 60_000): { id: string; result: Promise<CommandResult> } {
    const id = randomUUID();
    const s = this.#byAgent.get(agentId);
    if (!s) return { id, result: Promise.reject(new AgentCommandError(`agent ${agentId} is not connected`)) };
    const result = new Promise<CommandResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new AgentCommandError(`agent ${agentId} did not answer ${kind?.$case ?? "command"} within ${deadlineMs} ms`));
      }, deadlineMs + 2000);
      this.#pending.set(id, { agentId, resolve, reject, timer });
      s.send({ id, deadlineMs, kind });
    });
    return { id, result };
  }

  onResult(r: CommandResult): void {
    const p = this.#pending.get(r.id);
    if (!p) return;
    clearTimeout(p.timer);
    this.#pending.delete(r.id);
    p.resolve(r);
  }
}
