// The command registry: each action folder registers its handlers with `on(kind, handler)`, one line per kind;
// the dispatcher looks a command's handler up once by its `$case`. A later `on` for a kind replaces the earlier.
import type { CommandKind, Handler } from "./types.ts";

const handlers = new Map<CommandKind, Handler<CommandKind>>();

/** Registers the handler of command kind `kind`; it receives that kind's message, already narrowed. */
export function on<K extends CommandKind>(kind: K, handler: Handler<K>): void {
  // why: the map holds handlers of every kind; handlerFor hands each only values of its own kind.
  handlers.set(kind, handler as unknown as Handler<CommandKind>);
}

/** The handler registered for `kind`, if any. */
export function handlerFor(kind: CommandKind): Handler<CommandKind> | undefined {
  return handlers.get(kind);
}
