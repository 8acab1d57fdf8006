// The collector's hold command: asks a connected agent to hold its splitting
// samplers' points for forMs (0: release now), e.g. around traffic this
// collector does not run itself (POST /api/v1/agents/<id>/hold). Resolves with
// the agent's hold state as it reported it ({holding, held_ticks, held_bytes});
// rejects with AgentCommandError when the agent is not connected, does not
// answer within HOLD_DEADLINE_MS, or answers with a failure.
import { AgentCommandError } from "./errors.ts";
import type { Sessions } from "./sessions.ts";

/** How long the agent has to answer a hold command (ms). */
export const HOLD_DEADLINE_MS = 10_000;

export async function holdAgent(sessions: Pick<Sessions, "isConnected" | "command">, agentId: string, forMs: number): Promise<unknown> {
  if (!sessions.isConnected(agentId)) throw new AgentCommandError(`agent ${agentId} is not connected`);
  const r = await sessions.command(agentId, { $case: "hold", value: { forMs } }, HOLD_DEADLINE_MS);
  if (!r.ok) throw new AgentCommandError(`hold on ${agentId} failed: ${r.error}`);
  return JSON.parse(r.json) as unknown;
}
