// `lab vm down`: stop the `lab vm up` process (its cleanup removes what it made), then check that nothing of the
// run is left — its links (bridge, taps: the run's ewv<tag> prefix), its guests' QEMU processes, its run
// directory, its state file — and remove what a killed `up` left behind. Touches only what carries the run's names.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { ipCmd, linksWithPrefix } from "./net.ts";
import { removeState, type VmLabState } from "./state.ts";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A guest's QEMU, still running: its pid alive and its command line naming the guest (not a reused pid). */
function guestRunning(g: { name: string; pid: number }): boolean {
  try {
    return readFileSync(`/proc/${g.pid}/cmdline`, "utf8").includes(`guest=${g.name},`);
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return true;
}

/** What is left of the run now: a line per thing. */
export async function vmLabLeftovers(s: VmLabState, stateFile: string): Promise<string[]> {
  const left: string[] = (await linksWithPrefix(s.linkPrefix)).map((l) => `link ${l}`);
  for (const g of s.guests) if (guestRunning(g)) left.push(`qemu ${g.name} (pid ${g.pid})`);
  if (existsSync(s.runDir)) left.push(`directory ${s.runDir}`);
  if (existsSync(stateFile) && alive(s.pid)) left.push(`lab process ${s.pid}`);
  return left;
}

/** Stops the lab; returns what had to be removed by hand (empty when its own cleanup did everything). */
export async function vmLabDown(s: VmLabState, stateFile: string, say: (l: string) => void): Promise<string[]> {
  if (alive(s.pid)) {
    say(`stopping the lab (pid ${s.pid})`);
    process.kill(s.pid, "SIGTERM");
    if (!(await until(() => !alive(s.pid), 60_000))) process.kill(s.pid, "SIGKILL");
    await until(() => !alive(s.pid), 10_000);
  }
  const left = await vmLabLeftovers(s, stateFile);
  for (const g of s.guests) if (guestRunning(g)) process.kill(g.pid, "SIGKILL");
  for (const l of await linksWithPrefix(s.linkPrefix)) await ipCmd(["link", "del", l]).catch(() => undefined);
  rmSync(s.runDir, { recursive: true, force: true });
  removeState(stateFile);
  return left;
}
