// What the benchmarks need from the host: root, Debian packages (installed
// when missing and root, and said so), and cleanups that run on every exit path.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { killAll } from "../helpers/procs.ts";

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

const SEARCH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env["PATH"] ?? "").split(":").filter(Boolean), ...SEARCH];
  return dirs.map((d) => `${d}/${name}`).find((p) => existsSync(p));
}

/**
 * Returns the path of each binary, installing its Debian package with apt-get
 * when it is missing and we are root. Throws with what the operator can do otherwise.
 */
export function ensureBinaries(wanted: ReadonlyArray<{ binary: string; pkg: string }>, log: (line: string) => void): Record<string, string> {
  const missing = wanted.filter((w) => !findBinary(w.binary));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((m) => m.pkg))];
    if (!isRoot()) throw new Error(`missing ${missing.map((m) => m.binary).join(", ")}: apt-get install ${pkgs.join(" ")}`);
    log(`installing Debian packages: apt-get install -y ${pkgs.join(" ")}`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const install = () => execFileSync("apt-get", ["install", "-y", "--no-install-recommends", ...pkgs], { env, stdio: ["ignore", "ignore", "pipe"] });
    try {
      install();
    } catch {
      log("apt-get install failed; running apt-get update and retrying");
      execFileSync("apt-get", ["update"], { env, stdio: ["ignore", "ignore", "pipe"] });
      install();
    }
  }
  const out: Record<string, string> = {};
  for (const w of wanted) {
    const path = findBinary(w.binary);
    if (!path) throw new Error(`${w.binary} still missing after installing ${w.pkg}`);
    out[w.binary] = path;
  }
  return out;
}

type Cleanup = () => void | Promise<void>;
const cleanups: Cleanup[] = [];

/** Registers a cleanup; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(fn: Cleanup): () => Promise<void> {
  cleanups.push(fn);
  return async () => {
    const i = cleanups.indexOf(fn);
    if (i < 0) return;
    cleanups.splice(i, 1);
    await fn();
  };
}

/** Runs every registered cleanup, newest first; failures are reported, never thrown. */
export async function runCleanups(log: (line: string) => void): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop() as Cleanup;
    try {
      await fn();
    } catch (err) {
      log(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** Last resort at process exit (only synchronous work runs there): starts every cleanup, newest first, ignoring failures. */
export function runCleanupsAtExit(): void {
  while (cleanups.length > 0) {
    const fn = cleanups.pop() as Cleanup;
    try {
      void Promise.resolve(fn()).catch(() => undefined);
    } catch {
      /* exiting anyway */
    }
  }
}

/**
 * The exit wiring of a long-running harness (bench, faults): Ctrl-C / kill stop what it started and remove what it
 * created; a closed stdout/stderr (piped into head) does not kill it before its cleanups; an uncaught error exits 70;
 * any other way out signals the children (sync) and starts the cleanups.
 */
export function cleanUpOnExit(log: (line: string) => void): void {
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      log(`${sig}: cleaning up`);
      void killAll()
        .then(() => runCleanups(log))
        .finally(() => process.exit(130));
    });
  }
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
  process.on("uncaughtException", (err) => {
    log(`uncaught: ${err.stack ?? err.message}`);
    process.exit(70);
  });
  process.on("exit", () => {
    void killAll();
    runCleanupsAtExit();
  });
}
