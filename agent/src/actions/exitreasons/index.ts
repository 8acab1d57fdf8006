// Registers collectExitReasons with the command dispatcher.
import { registerHandler } from "../dispatch.ts";
import { exitReasonsAction } from "./exitreasons.action.ts";

registerHandler("collectExitReasons", async (cmd, deps, signal) => {
  if (cmd.kind?.$case !== "collectExitReasons") throw new Error("bad command");
  return exitReasonsAction(cmd.kind.value, deps.exec, signal);
});
