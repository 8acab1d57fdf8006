// Scenario 5: the collector's disk full, then freed. The store lives on a small tmpfs this scenario mounts (root);
// once two agents stream, a ballast file fills it; it stays full `fullSeconds` (a third agent says hello
// meanwhile), then the ballast goes. Met when every batch made is stored once and every process stayed up.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { onCleanup } from "../bench/host.ts";
import { requireBinary, waitFor } from "../helpers/procs.ts";
import { behind, caughtUp } from "./count.ts";
import { finish, notesOf, nowNs, rowOf } from "./report.ts";
import { FaultStack } from "./stack.ts";
import { delay, untilStored } from "./steps.ts";
import type { FaultOptions, FaultOutcome, Scenario } from "./types.ts";
import { fill } from "../helpers/disk.ts";

const NAME = "disk-full";
const SIZE = "64m";

async function run(o: FaultOptions): Promise<FaultOutcome> {
  if (process.getuid?.() !== 0) throw new Error("needs root (mounts a tmpfs for the collector's store)");
  requireBinary("mount");
  const stack = new FaultStack(NAME);
  const mnt = join(stack.dir, "mnt");
  mkdirSync(mnt);
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${SIZE},mode=0700`, "eastwest-faults", mnt]);
  const unmount = onCleanup(() => void execFileSync("umount", ["-l", mnt]));
  try {
    const collector = await stack.startCollector({ storePath: join(mnt, "store.db") });
    const from = nowNs();
    const ids = ["df-1", "df-2"];
    for (const id of ids) stack.startAgent(id);
    await Promise.all(ids.map((id) => untilStored(stack.api, id)));
    await delay(Math.min(5000, o.fullSeconds * 250));
    const ballast = join(mnt, "ballast");
    const filled = fill(ballast);
    const fullAt = Date.now();
    await waitFor(() => (/disk full/.test(collector.stderr()) ? true : undefined), 30_000, "the store reporting a full disk");
    stack.startAgent("df-late");
    ids.push("df-late");
    await delay(fullAt + o.fullSeconds * 1000 - Date.now());
    const backlog = await behind(stack.api, stack.spoolDir, ids);
    rmSync(ballast);
    const freedAt = Date.now();
    o.log(`${NAME}: disk freed after ${Math.round((freedAt - fullAt) / 1000)} s; counting`);
    await Promise.all(ids.map((id) => caughtUp(stack.api, stack.spoolDir, id, 60_000).catch(() => 0)));
    const recoveredS = ((Date.now() - freedAt) / 1000).toFixed(1);
    const problems: string[] = [];
    const tallies = await finish(stack, ids, from, problems, 1000);
    const notes = [
      `${NAME}: the store's ${SIZE} tmpfs filled (${(filled / 2 ** 20).toFixed(1)} MiB of ballast) for ${Math.round((freedAt - fullAt) / 1000)} s while 2 agents streamed at 10 Hz and a third said hello; ${backlog} batches were made and not stored when the ballast was removed; the ledger held them all ${recoveredS} s later`,
      ...notesOf(NAME, tallies, stack, problems),
    ];
    return { rows: [rowOf(NAME, tallies, stack, problems)], notes };
  } finally {
    if (stack.collector) await stack.watch.stop(stack.collector, "SIGKILL");
    await unmount();
    await stack.close();
  }
}

export const diskFull: Scenario = { name: NAME, summary: "the collector's disk (a tmpfs, root) full --full-seconds, then freed", run };
