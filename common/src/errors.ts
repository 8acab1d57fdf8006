// The few named errors eastwest raises. Each carries an operator-facing message
// and, where it wraps another failure, `cause`.

export class EastwestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Configuration could not be loaded or validated. `problems` lists every error at once. */
export class ConfigError extends EastwestError {
  readonly problems: string[];
  constructor(problems: string[], options?: { cause?: unknown }) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`, options);
    this.problems = problems;
  }
}

/** Input (a /proc file, a tool's output, a frame) did not have the expected shape. */
export class ParseError extends EastwestError {
  readonly source: string;
  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super(`${source}: ${message}`, options);
    this.source = source;
  }
}

/** A batch or point failed validation; never retried. */
export class ValidationError extends EastwestError {}

/** A signal source is missing on this machine. The message starts with "unavailable: ". */
export class UnavailableError extends EastwestError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason.startsWith("unavailable: ") ? reason : `unavailable: ${reason}`, options);
  }
}

/** An external command failed (non-zero exit, timeout, missing binary). */
export class CommandError extends EastwestError {
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(message: string, exitCode: number | null, stderr: string, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export const EXIT_CONFIG = 78; // sysexits EX_CONFIG

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
