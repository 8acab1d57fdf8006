// Scenario 2: SIGKILL of an agent `agentKills` times mid-stream, spread over `seconds`, each time started again
// with the same id, config and spool dir (fsync always); a second agent streams throughout, undisturbed.
import { ledgerOf, spoolOf } from "./count.ts";
import { finish, notesOf, nowNs, rowOf } from "./report.ts";
import { FaultStack } from "./stack.ts";
import { delay, untilStored } from "./steps.ts";
import type { FaultOptions, FaultOutcome, Scenario } from "./types.ts";

const NAME = "agent-kill";

async function run(o: FaultOptions): Promise<FaultOutcome> {
  const stack = new FaultStack(NAME);
  try {
    await stack.startCollector();
    const from = nowNs();
    const [victim, bystander] = ["ak-victim", "ak-bystander"];
    stack.startAgent(victim);
    stack.startAgent(bystander);
    await Promise.all([untilStored(stack.api, victim), untilStored(stack.api, bystander)]);
    const everyMs = (o.seconds * 1000) / o.agentKills;
    const started = Date.now();
    let unackedAtKills = 0;
    for (let k = 1; k <= o.agentKills; k++) {
      // Mid-stream: the restarted agent has stored new batches before it is killed again.
      await untilStored(stack.api, victim, (await ledgerOf(stack.api, victim)).highestSeq);
      await delay(started + k * everyMs - Date.now());
      await stack.stopAgent(victim, "SIGKILL");
      unackedAtKills += spoolOf(stack.spoolDir, victim).unacked;
      stack.startAgent(victim);
    }
    await untilStored(stack.api, victim, (await ledgerOf(stack.api, victim)).highestSeq);
    o.log(`${NAME}: ${o.agentKills} kills; counting`);
    const problems: string[] = [];
    const tallies = await finish(stack, [victim, bystander], from, problems);
    const notes = [
      `${NAME}: ${o.agentKills} SIGKILLs of agent ${victim} in ${Math.round((Date.now() - started) / 1000)} s, each after it had stored new batches, restarted with the same id and spool dir (fsync always); ${unackedAtKills} batches were unacked in its spool at the kills, added up; ${bystander} streamed throughout`,
      ...notesOf(NAME, tallies, stack, problems),
    ];
    return { rows: [rowOf(NAME, tallies, stack, problems)], notes };
  } finally {
    await stack.close();
  }
}

export const agentKill: Scenario = { name: NAME, summary: "SIGKILL of an agent --agent-kills times mid-stream, restarted with its spool", run };
