// A package installed into a fresh root: dpkg itself unpacks and configures the .deb there (--root, maintainer
// scripts without chroot, DPKG_ROOT set: the postinst writes the root's /etc/passwd), and the installed programs run
// from it with cwd / and an environment that names nothing of this checkout.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");

/** Runs a program (argument array) to its end: exit code and the two streams; never throws. */
export function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(file, args, { encoding: "utf8", env: opts.env ?? process.env, cwd: opts.cwd ?? "/", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout ?? "", stderr: `${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

/** `dpkg --root` into root (made empty here): the package unpacked and configured as dpkg does on a host. */
export function dpkgInstall(root: string, deb: string): string {
  for (const d of ["var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "var/log", "etc", "tmp"]) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, "var/lib/dpkg/status"), "");
  // why: the root has no libc6 package (no Debian at all): dependencies are what a real host provides.
  const r = run("dpkg", [`--root=${root}`, "--force-script-chrootless", "--force-depends", `--log=${join(root, "var/log/dpkg.log")}`, "-i", deb]);
  if (r.code !== 0) throw new Error(`dpkg -i exited ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

/**
 * The environment an installed program gets here: a system PATH (no Node of the checkout on it) and the unit's
 * state paths moved into the root (the agent run as root would otherwise journal under the host's /var/lib).
 */
export function installedEnv(root: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: "/usr/bin:/bin:/usr/sbin:/sbin", LANG: "C.UTF-8", TMPDIR: join(root, "tmp"), EASTWEST_SETTINGS_JOURNAL_DIR: join(root, "var/lib/eastwest/settings"), ...extra };
}

export interface Installed {
  child: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  stop: () => Promise<number | null>;
}

/** Starts root's /usr/bin/eastwest with args, cwd /, the installed environment only. */
export function startInstalled(root: string, args: string[]): Installed {
  const child = spawn(join(root, "usr/bin/eastwest"), args, { cwd: "/", env: installedEnv(root), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code, sig) => resolve(code ?? (sig ? 128 : null))));
  return {
    child,
    pid: child.pid as number,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** pid and its descendants (from /proc/<pid>/task/<tid>/children). */
export function processTree(pid: number): number[] {
  const out = [pid];
  const dir = `/proc/${pid}/task`;
  if (!existsSync(dir)) return out;
  for (const tid of readdirSync(dir)) {
    let kids = "";
    try {
      kids = readFileSync(join(dir, tid, "children"), "utf8");
    } catch {
      continue; // the thread ended meanwhile
    }
    for (const k of kids.split(" ").filter(Boolean)) out.push(...processTree(Number(k)));
  }
  return out;
}

/**
 * What a process has of the file system: its executable, cwd, command line, environment, open files and every
 * mapped file.
 * Lines "<pid> <what>: <path or text>", for asserting that none names the checkout.
 */
export function processPaths(pid: number): string[] {
  const out: string[] = [];
  const tryRead = (what: string, f: () => string): void => {
    try {
      out.push(`${pid} ${what}: ${f()}`);
    } catch {
      // the process ended meanwhile: nothing of it to inspect
    }
  };
  tryRead("exe", () => readlinkSync(`/proc/${pid}/exe`));
  tryRead("cwd", () => readlinkSync(`/proc/${pid}/cwd`));
  tryRead("cmdline", () => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "));
  tryRead("environ", () => readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").join(" "));
  tryRead("fds", () => readdirSync(`/proc/${pid}/fd`).map((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ""; } }).join(" "));
  tryRead("maps", () => [...new Set(readFileSync(`/proc/${pid}/maps`, "utf8").split("\n").map((l) => l.split(/\s+/)[5] ?? "").filter((p) => p.startsWith("/")))].join(" "));
  return out;
}
