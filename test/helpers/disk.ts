// Filling a filesystem, for tests and faults that need a full disk (a small tmpfs they mount themselves).
import { closeSync, openSync, writeSync } from "node:fs";

/** Writes zeros to `file` until its filesystem is full; the bytes written. */
export function fill(file: string): number {
  const fd = openSync(file, "w");
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}
