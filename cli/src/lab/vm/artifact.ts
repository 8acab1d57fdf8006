// The deployable agent for the guests: scripts/build-agent.ts's bundle layout (Node + one script), built from this
// checkout into DIR/eastwest-agent, again only when a source file, the lock file or the Node binary is newer. The
// packaged CLI (scripts/build-dist.ts) has no sources to build from: it ships that layout as <lib>/eastwest-agent.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { EastwestError } from "@eastwest/common";
import { DIST_MAIN } from "../../self.ts";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const BUILD = join(ROOT, "scripts/build-agent.ts");
const SOURCES = ["proto/src", "common/src", "agent/src", "cli/src", "scripts/agent", "scripts/build-agent.ts", "package-lock.json"];

/** The newest modification time (ms) of a file or of the files under a directory. */
function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((m, n) => Math.max(m, newest(join(path, n))), st.mtimeMs);
}

export async function buildAgent(out: string, say: (l: string) => void): Promise<string> {
  if (DIST_MAIN !== undefined) return join(dirname(DIST_MAIN), "..", "eastwest-agent");
  const dir = join(out, "eastwest-agent");
  const manifest = join(dir, "MANIFEST.json");
  const inputs = Math.max(...SOURCES.map((s) => join(ROOT, s)).filter(existsSync).map(newest), statSync(process.execPath).mtimeMs);
  if (existsSync(manifest) && statSync(manifest).mtimeMs > inputs) return dir;
  say("building the agent artifact (scripts/build-agent.ts)");
  try {
    await promisify(execFile)(process.execPath, [BUILD, "--variant", "bundle", "--no-tarball", "--out", out], { timeout: 300_000 });
  } catch (err) {
    throw new EastwestError(`building the agent: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`, { cause: err });
  }
  return dir;
}
