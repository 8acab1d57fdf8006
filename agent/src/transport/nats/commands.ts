// Commands over NATS request/reply: the agent serves its command subject;
// every request (a Command) gets one reply (its CommandResult), also when the
// command is undecodable or fails. Requests are served concurrently, so a
// Cancel reaches a running command.
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { Command, CommandResult } from "@eastwest/proto";
import { errorMessage, nowNs, type Logger } from "@eastwest/common";

export function serveCommands(nc: NatsConnection, subject: string, run: (cmd: Command) => Promise<CommandResult>, logger: Logger): Subscription {
  return nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return void logger.warn({ why: errorMessage(err) }, "command subscription failed");
      void answer(msg, run, logger);
    },
  });
}

async function answer(msg: Msg, run: (cmd: Command) => Promise<CommandResult>, logger: Logger): Promise<void> {
  const startedNs = nowNs();
  let result: CommandResult;
  try {
    const cmd = Command.decode(msg.data);
    try {
      result = await run(cmd);
    } catch (err) {
      result = { id: cmd.id, ok: false, error: errorMessage(err), json: "", startedNs, finishedNs: nowNs() };
    }
  } catch (err) {
    result = { id: "", ok: false, error: `undecodable command: ${errorMessage(err)}`, json: "", startedNs, finishedNs: nowNs() };
  }
  try {
    msg.respond(CommandResult.encode(result).finish());
  } catch (err) {
    logger.warn({ id: result.id, why: errorMessage(err) }, "command result not sent");
  }
}
