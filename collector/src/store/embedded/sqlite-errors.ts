// Maps SQLite failures to what an operator (and an agent) can do about them.
// Codes: https://www.sqlite.org/rescode.html (the primary code is errcode & 0xff).
import { errorMessage } from "@eastwest/common";
import { StoreError, type WriteOutcome } from "../types.ts";

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_NOMEM = 7;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

export interface Classified {
  /** Operator-facing reason, with SQLite's own text. */
  reason: string;
  /** Suggested wait before a retry (ms). */
  afterMs: number;
}

/** The primary SQLite result code of an error thrown by node:sqlite, or undefined. */
export function sqliteCode(err: unknown): number | undefined {
  const errcode = (err as { errcode?: unknown } | null)?.errcode;
  return typeof errcode === "number" ? errcode & 0xff : undefined;
}

/**
 * Every store-state failure is worth retrying later: the batch itself is fine,
 * so the agent keeps it. Waits grow with how likely an operator must act.
 */
export function classify(err: unknown): Classified {
  const detail = errorMessage(err);
  switch (sqliteCode(err)) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return { reason: `store busy: ${detail}`, afterMs: 100 };
    case SQLITE_NOMEM:
      return { reason: `store out of memory: ${detail}`, afterMs: 1_000 };
    case SQLITE_IOERR:
      return { reason: `store I/O error: ${detail}`, afterMs: 1_000 };
    case SQLITE_FULL:
      return { reason: `store disk full, free space: ${detail}`, afterMs: 5_000 };
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
      return { reason: `store file not writable, check permissions: ${detail}`, afterMs: 5_000 };
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return { reason: `store file corrupt, repair or move it aside: ${detail}`, afterMs: 30_000 };
    default:
      return { reason: `store error: ${detail}`, afterMs: 1_000 };
  }
}

export function retryableOutcome(err: unknown): WriteOutcome {
  const c = classify(err);
  return { kind: "retryable", afterMs: c.afterMs, reason: c.reason };
}

/** A StoreError for a failed read or document write, wrapping the SQLite error. */
export function storeError(operation: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const code = sqliteCode(err);
  const retryable = code === SQLITE_BUSY || code === SQLITE_LOCKED || code === SQLITE_IOERR || code === SQLITE_FULL;
  return new StoreError(`${operation}: ${classify(err).reason}`, retryable, { cause: err });
}
