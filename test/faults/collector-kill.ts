// Scenario 1: SIGKILL of the collector every killEveryS seconds for `seconds`, three agents at 10 Hz (spool
// fsync always); the collector is started again at once on the same store and ports each time.
import { spoolOf } from "./count.ts";
import { finish, notesOf, nowNs, rowOf } from "./report.ts";
import { FaultStack } from "./stack.ts";
import { delay, untilStored } from "./steps.ts";
import type { FaultOptions, FaultOutcome, Scenario } from "./types.ts";

const NAME = "collector-kill";

async function run(o: FaultOptions): Promise<FaultOutcome> {
  const stack = new FaultStack(NAME);
  try {
    await stack.startCollector();
    const from = nowNs();
    const ids = ["ck-1", "ck-2", "ck-3"];
    for (const id of ids) stack.startAgent(id);
    await Promise.all(ids.map((id) => untilStored(stack.api, id)));
    const started = Date.now();
    let kills = 0;
    let unackedAtKills = 0;
    let restartMs = 0;
    for (let at = o.killEveryS * 1000; at <= o.seconds * 1000; at += o.killEveryS * 1000) {
      await delay(started + at - Date.now());
      await stack.killCollector();
      kills++;
      unackedAtKills += ids.reduce((n, id) => n + spoolOf(stack.spoolDir, id).unacked, 0);
      const t = Date.now();
      await stack.startCollector();
      restartMs = Math.max(restartMs, Date.now() - t);
    }
    o.log(`${NAME}: ${kills} kills; counting`);
    const problems: string[] = [];
    const tallies = await finish(stack, ids, from, problems);
    if (kills === 0) problems.push("no kill happened (--seconds below --kill-every)");
    const notes = [
      `${NAME}: ${kills} SIGKILLs of the collector in ${o.seconds} s (every ${o.killEveryS} s), 3 agents at 10 Hz (spool fsync always); ${unackedAtKills} batches were unacked in the agents' spools at the kills, added up; slowest restart to listening ${restartMs} ms`,
      ...notesOf(NAME, tallies, stack, problems),
    ];
    return { rows: [rowOf(NAME, tallies, stack, problems)], notes };
  } finally {
    await stack.close();
  }
}

export const collectorKill: Scenario = { name: NAME, summary: "SIGKILL of the collector every --kill-every s for --seconds, 3 agents at 10 Hz", run };
