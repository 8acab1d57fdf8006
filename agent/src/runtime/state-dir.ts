// Where the agent keeps state that must outlive its process (the settings journal, the spool).
import { tmpdir } from "node:os";
import { join } from "node:path";

/** /var/lib/eastwest/<name> for root (the agent's deployed user), else <tmpdir>/eastwest-<uid>/<name>. */
export function defaultStateDir(name: string): string {
  const uid = process.getuid?.() ?? -1;
  return uid === 0 ? join("/var/lib/eastwest", name) : join(tmpdir(), `eastwest-${uid}`, name);
}
