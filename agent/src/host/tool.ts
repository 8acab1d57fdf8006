// Telling a missing host tool from a failing one, for "unavailable: <tool> not found" reasons.
import { CommandError } from "@eastwest/common";

/** The tool's binary is missing (as opposed to the tool failing). */
export function isNotFound(err: unknown): boolean {
  if (!(err instanceof CommandError)) return false;
  const cause = err.cause as NodeJS.ErrnoException | undefined;
  return cause?.code === "ENOENT" || err.message.endsWith(": not found");
}
