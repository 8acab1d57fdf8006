// Where the agent keeps state that must outlive its process (the settings journal, the spool), and making a
// new file's name in it durable.
import { closeSync, constants, fsyncSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** /var/lib/eastwest/<name> for root (the agent's deployed user), else <tmpdir>/eastwest-<uid>/<name>. */
export function defaultStateDir(name: string): string {
  const uid = process.getuid?.() ?? -1;
  return uid === 0 ? join("/var/lib/eastwest", name) : join(tmpdir(), `eastwest-${uid}`, name);
}

/** fsync of a directory, so that a file created in it (a spool segment) keeps its name across a power loss. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
