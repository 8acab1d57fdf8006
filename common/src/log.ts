// JSON logs (pino) to stderr, so stdout stays free for command output.
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(name: string, level = "info"): Logger {
  return pino({ name, level, base: { pid: process.pid, component: name } }, pino.destination(2));
}

/** A logger that drops everything: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
