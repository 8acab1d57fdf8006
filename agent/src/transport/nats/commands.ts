// Commands over NATS request/reply: the agent serves its command subject, one subject per collector
// (<agent's command subject>.<collector token>, common/src/nats/subjects.ts); every request (a Command) gets one
// reply (its CommandResult), also when the command is undecodable, fails, or comes from a collector that
// nats.collectors does not name: that one is refused without running, counted and logged once per collector.
// Requests are served concurrently, so a Cancel reaches a running command.
//
// Who may publish on a collector's subject is the NATS server's to enforce (accounts, per-user subject
// permissions); the agent enforces which collectors' subjects it obeys.
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { Command, CommandResult } from "@eastwest/proto";
import { errorMessage, idOfToken, nowNs, tokenOf, type Logger } from "@eastwest/common";
import type { RefusalLog } from "../../actions/policy.ts";

export interface CommandIntake {
  /** The agent's command subject; collectors' subjects are one token below it. */
  subject: string;
  /** Ids of the collectors whose commands run; every other one is refused. */
  collectors: readonly string[];
  run: (cmd: Command) => Promise<CommandResult>;
  refusals?: RefusalLog;
  logger: Logger;
}

export function serveCommands(nc: NatsConnection, o: CommandIntake): Subscription {
  const allowed = new Set(o.collectors.map(tokenOf));
  return nc.subscribe(`${o.subject}.*`, {
    callback: (err, msg) => {
      if (err) return void o.logger.warn({ why: errorMessage(err) }, "command subscription failed");
      void answer(msg, allowed, o);
    },
  });
}

/** Why a command from the collector of `token` is refused; undefined when that collector is named. */
function foreign(token: string, allowed: ReadonlySet<string>): string | undefined {
  if (allowed.has(token)) return undefined;
  const id = idOfToken(token);
  const who = id === undefined ? `subject token ${JSON.stringify(token.slice(0, 64))}` : `collector ${JSON.stringify(id.slice(0, 128))}`;
  return `refused: commands from ${who} are not allowed by nats.collectors`;
}

/** The Command in a request, or why it is none. */
function decode(data: Uint8Array): Command | Error {
  try {
    return Command.decode(data);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

async function answer(msg: Msg, allowed: ReadonlySet<string>, o: CommandIntake): Promise<void> {
  const startedNs = nowNs();
  const failed = (id: string, error: string): CommandResult => ({ id, ok: false, error, json: "", startedNs, finishedNs: nowNs() });
  const refused = foreign(msg.subject.slice(o.subject.length + 1), allowed);
  const cmd = decode(msg.data);
  let result: CommandResult;
  if (refused !== undefined) {
    const id = cmd instanceof Error ? "" : cmd.id;
    o.refusals?.note({ kinds: [refused], message: refused }, o.logger, { id: id.slice(0, 64) });
    result = failed(id, refused);
  } else if (cmd instanceof Error) result = failed("", `undecodable command: ${cmd.message}`);
  else {
    try {
      result = await o.run(cmd);
    } catch (err) {
      result = failed(cmd.id, errorMessage(err));
    }
  }
  try {
    msg.respond(CommandResult.encode(result).finish());
  } catch (err) {
    o.logger.warn({ id: result.id, why: errorMessage(err) }, "command result not sent");
  }
}
