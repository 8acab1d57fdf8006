// Scenario 3: nats-server (JetStream, file store) SIGKILLed mid-stream `natsKills` times over `seconds` and
// started again on the same port and store directory; two agents publish over NATS JetStream and the collector
// consumes (its own gRPC port idle on loopback).
import { startNatsServer, type NatsServer } from "../helpers/nats.ts";
import { caughtUp, ledgerOf } from "./count.ts";
import { finish, notesOf, nowNs, rowOf } from "./report.ts";
import { FaultStack } from "./stack.ts";
import { delay, untilStored } from "./steps.ts";
import type { FaultOptions, FaultOutcome, Scenario } from "./types.ts";

const NAME = "nats-kill";

async function run(o: FaultOptions): Promise<FaultOutcome> {
  const stack = new FaultStack(NAME);
  const first = await startNatsServer();
  let nats: NatsServer = first;
  try {
    stack.watch.add("nats-server", nats.proc);
    await stack.startCollector({ args: ["--nats", "--nats-servers", nats.url] });
    const from = nowNs();
    const ids = ["nk-1", "nk-2"];
    for (const id of ids) stack.startAgent(id, { transport: "nats", natsUrl: nats.url });
    await Promise.all(ids.map((id) => untilStored(stack.api, id)));
    const everyMs = (o.seconds * 1000) / (o.natsKills + 1);
    const downMs = Math.min(3000, everyMs / 3);
    const started = Date.now();
    const recoveryMs: number[] = [];
    for (let k = 1; k <= o.natsKills; k++) {
      await delay(started + k * everyMs - Date.now());
      await stack.watch.stop(nats.proc, "SIGKILL");
      await delay(downMs);
      nats = await startNatsServer({ again: { port: first.port, storeDir: first.storeDir } });
      stack.watch.add("nats-server", nats.proc);
      // Mid-stream again, and whole: every agent's batches, those lost with the server included, in the store.
      const t = Date.now();
      await Promise.all(ids.map(async (id) => untilStored(stack.api, id, (await ledgerOf(stack.api, id)).highestSeq, 60_000)));
      await Promise.all(ids.map((id) => caughtUp(stack.api, stack.spoolDir, id, 90_000)));
      recoveryMs.push(Date.now() - t);
    }
    await delay(started + o.seconds * 1000 - Date.now());
    o.log(`${NAME}: ${o.natsKills} kills; counting`);
    const problems: string[] = [];
    const tallies = await finish(stack, ids, from, problems);
    const notes = [
      `${NAME}: ${o.natsKills} SIGKILLs of nats-server (JetStream file store) in ${o.seconds} s, each down ${Math.round(downMs)} ms, restarted on the same port and store; 2 agents at 10 Hz over NATS JetStream (spool fsync always), the collector consuming; every seq stored ${recoveryMs.map((ms) => (ms / 1000).toFixed(1)).join(", ")} s after each restart (publishes the dead server never acked are resent after the agent's PubAck timeout, collector.ackTimeoutMs, 30 s by default)`,
      ...notesOf(NAME, tallies, stack, problems),
    ];
    return { rows: [rowOf(NAME, tallies, stack, problems)], notes };
  } finally {
    await stack.close();
    await stack.watch.stop(nats.proc, "SIGKILL");
    await first.stop();
  }
}

export const natsKill: Scenario = { name: NAME, summary: "nats-server SIGKILLed mid-stream --nats-kills times and restarted (agents over JetStream)", run };
