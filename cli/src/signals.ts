// Signals: wait for the first SIGINT or SIGTERM; stop within a bound after it.
import type { Logger } from "@eastwest/common";

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(sig);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

export interface BoundedStop {
  /** The orderly stop. */
  stop: () => Promise<void>;
  /** The bound (ms) after which the process exits whatever is still open. */
  timeoutMs: number;
  /** Names what the stop is waiting for, for the log line when the bound is hit. */
  step: () => string;
  logger: Logger;
}

/** How long after a finished or abandoned stop a handle left open (a socket, a timer) may keep the process. */
const LINGER_MS = 500;

/**
 * Runs an orderly stop, but gives up after `timeoutMs` or on a second SIGINT/SIGTERM, and then makes sure the
 * process ends: a handle that outlives the stop (a stream to a vanished peer, a pending command's timer) must not
 * keep it for minutes. Resolves with what happened; the process exits at most LINGER_MS after that.
 */
export async function stopWithin(o: BoundedStop): Promise<"stopped" | "timeout" | "signal"> {
  let timer: NodeJS.Timeout | undefined;
  let onSignal: ((sig: NodeJS.Signals) => void) | undefined;
  const outcome = await Promise.race([
    o.stop().then(() => "stopped" as const),
    new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), o.timeoutMs))),
    new Promise<"signal">((resolve) => {
      onSignal = () => resolve("signal");
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
    }),
  ]).catch((err: unknown) => {
    o.logger.error({ err }, "stop failed; exiting");
    return "stopped" as const;
  });
  clearTimeout(timer);
  if (onSignal) (process.off("SIGINT", onSignal), process.off("SIGTERM", onSignal));
  if (outcome === "timeout") o.logger.warn({ timeoutMs: o.timeoutMs, waitingFor: o.step() }, "stop did not finish within shutdownTimeoutMs; exiting anyway");
  if (outcome === "signal") o.logger.warn({ waitingFor: o.step() }, "second signal during stop; exiting now");
  // why: unref'd, so it fires only if something still holds the event loop after the command returned.
  setTimeout(() => process.exit(), LINGER_MS).unref();
  return outcome;
}
