// JSON logs (pino) to stderr, so stdout stays free for command output.
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** `destination`: where the lines go (default stderr; tests read them from a stream). */
export function createLogger(name: string, level = "info", destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ name, level, base: { pid: process.pid, component: name } }, destination);
}

/** A logger that drops everything: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
