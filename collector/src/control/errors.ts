// The collector's control-plane error: a command to an agent could not be sent, was not answered in time, or
// was answered with a failure. Not the agent's CommandError (common/src/errors.ts), which is a local tool that
// failed on the agent's host.
import { EastwestError } from "@eastwest/common";

export class AgentCommandError extends EastwestError {}
