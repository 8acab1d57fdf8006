// The embedded store's SQLite file (node:sqlite, no server, no native build),
// in WAL mode with synchronous=FULL; layout in schema.ts. The ledger and the
// embedded point store share one connection, so that a batch's points and its
// seq record commit in one transaction.
//
// Lifecycle: acquire() opens the file on first use (creating it and its
// directory) and counts users; release() closes it when the last user lets go.
// node:sqlite is synchronous: each call blocks the event loop for its duration
// (a batch commit includes one fsync of the WAL).
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { nowNs } from "@eastwest/common";
import { StoreError } from "../types.ts";
import { prepareFile } from "./schema.ts";
import { storeError } from "./sqlite-errors.ts";

export interface EmbeddedStoreOptions {
  /** The database file; created with its directory when missing. */
  path: string;
  /** How long SQLite waits on a lock held by another connection before "busy" (ms); the wait blocks the event loop. Default 250. */
  busyTimeoutMs?: number;
  /** Clock for record timestamps (Unix epoch ns); tests inject one. */
  clock?: () => bigint;
  /** Where compaction runs: on the caller's thread (default) or in a worker thread of its own (compact-thread.ts). */
  compaction?: "inline" | "worker";
  /** The IngestGate's cell to use (the writer thread's store shares its ingest thread's); a new one when absent. */
  gate?: Int32Array;
}

/** The open connection, with prepared statements cached by SQL text. */
export interface Conn {
  db: DatabaseSync;
  stmt: (sql: string) => StatementSync;
}

/**
 * Ingest commits in progress or waiting on this process's connection, shared with the compaction thread
 * (compact-thread.ts), which waits for 0 before it takes the write lock: SQLite's busy wait is not fair, and a
 * thread that commits slice after slice would otherwise starve ingest.
 */
export class IngestGate {
  readonly cell: Int32Array;

  constructor(cell: Int32Array = new Int32Array(new SharedArrayBuffer(4))) {
    this.cell = cell;
  }

  enter(): void {
    Atomics.add(this.cell, 0, 1);
  }

  leave(): void {
    Atomics.sub(this.cell, 0, 1);
    Atomics.notify(this.cell, 0);
  }
}

/** The compaction thread's side of an IngestGate: waits while ingest commits, at most maxMs in all. */
export function yieldToIngest(cell: Int32Array, maxMs: number): void {
  const until = performance.now() + maxMs;
  for (let n = Atomics.load(cell, 0); n > 0; n = Atomics.load(cell, 0)) {
    const left = until - performance.now();
    if (left <= 0) return;
    Atomics.wait(cell, 0, n, Math.min(left, 20));
  }
}

export class EmbeddedFile {
  readonly opts: EmbeddedStoreOptions;
  readonly clock: () => bigint;
  readonly gate: IngestGate;
  #conn: Conn | undefined;
  #users = 0;

  /** A path alone takes the defaults. */
  constructor(opts: EmbeddedStoreOptions | string) {
    this.opts = typeof opts === "string" ? { path: opts } : opts;
    this.clock = this.opts.clock ?? nowNs;
    this.gate = new IngestGate(this.opts.gate);
  }

  /** Opens (or creates) the file on first use. Throws StoreError when it cannot. Pair every acquire with one release. */
  acquire(): Conn {
    if (this.#conn === undefined) this.#conn = openConn(this.opts);
    this.#users++;
    return this.#conn;
  }

  /** Closes the file with its last user. A failing close still leaves it closed; throws StoreError then. */
  release(): void {
    if (this.#users === 0 || --this.#users > 0) return;
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn === undefined || !conn.db.isOpen) return;
    try {
      conn.db.close();
    } catch (err) {
      throw storeError("close", err);
    }
  }
}

function openConn(o: EmbeddedStoreOptions): Conn {
  let db: DatabaseSync | undefined;
  try {
    mkdirSync(dirname(o.path), { recursive: true });
    db = new DatabaseSync(o.path, { timeout: o.busyTimeoutMs ?? 250, readBigInts: true });
    prepareFile(db, o.path);
    return { db, stmt: statementCache(db) };
  } catch (err) {
    if (db?.isOpen) db.close();
    throw err instanceof StoreError ? err : storeError(`cannot open store ${o.path}`, err);
  }
}

function statementCache(db: DatabaseSync): (sql: string) => StatementSync {
  const cache = new Map<string, StatementSync>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (stmt === undefined) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
}

/** Runs fn on the open state; a missing state or any failure becomes a StoreError naming the operation. */
export function runOn<O, T>(open: O | undefined, operation: string, fn: (o: O) => T): T {
  if (open === undefined) throw new StoreError(`${operation}: store is not open`, true);
  try {
    return fn(open);
  } catch (err) {
    throw storeError(operation, err);
  }
}
