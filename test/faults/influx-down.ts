// Scenario 4: the InfluxDB-protocol store down. A real influxd 1.x (Debian's, v1 /write) takes the collector's
// points (store.kind influx); it is SIGKILLed for `outageSeconds` while two agents stream at 10 Hz, then started
// again on the same port and directory. Met when the ledger holds every batch (no gap) and InfluxDB holds every
// cpu point the collector's local copy holds: everything backfilled.
import { startInfluxd, type Influxd } from "../helpers/tsdb.ts";
import { behind, caughtUp, duplicatePoints } from "./count.ts";
import { finish, notesOf, nowNs, rowOf } from "./report.ts";
import { FaultStack } from "./stack.ts";
import { delay, untilStored } from "./steps.ts";
import type { FaultOptions, FaultOutcome, Scenario } from "./types.ts";

const NAME = "influx-down";
const DB = "eastwest";

async function influxCount(influxd: Influxd, id: string, fromNs: bigint): Promise<number> {
  const { series } = await influxd.query(`SELECT count(user_ns_total) FROM cpu WHERE agent_id='${id}' AND time >= ${fromNs}`, DB);
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

async function run(o: FaultOptions): Promise<FaultOutcome> {
  const stack = new FaultStack(NAME);
  const first = await startInfluxd();
  let influxd: Influxd = first;
  try {
    stack.watch.add("influxd", influxd.proc);
    await influxd.query(`CREATE DATABASE ${DB}`);
    await stack.startCollector({ config: { store: { kind: "influx", influx: { url: influxd.url, api: "v1", db: DB, precision: "ns" } } } });
    const from = nowNs();
    const ids = ["ix-1", "ix-2"];
    for (const id of ids) stack.startAgent(id);
    await Promise.all(ids.map((id) => untilStored(stack.api, id)));
    await delay(Math.min(5000, o.outageSeconds * 250));
    await stack.watch.stop(influxd.proc, "SIGKILL");
    const downAt = Date.now();
    await delay(o.outageSeconds * 1000);
    const backlog = await behind(stack.api, stack.spoolDir, ids);
    influxd = await startInfluxd({ url: first.url, dir: first.dir });
    stack.watch.add("influxd", influxd.proc);
    const upAt = Date.now();
    o.log(`${NAME}: influxd back after ${Math.round((upAt - downAt) / 1000)} s; counting`);
    await Promise.all(ids.map((id) => caughtUp(stack.api, stack.spoolDir, id, 120_000).catch(() => 0)));
    const backfillS = ((Date.now() - upAt) / 1000).toFixed(1);
    const problems: string[] = [];
    const tallies = await finish(stack, ids, from, problems, 1000);
    const counts: string[] = [];
    for (const id of ids) {
      const [local, remote] = [(await duplicatePoints(stack.api, "cpu", id, from)).points, await influxCount(influxd, id, from)];
      counts.push(`${id} ${remote} of ${local}`);
      if (remote !== local) problems.push(`agent ${id}: InfluxDB holds ${remote} cpu points, the collector's local copy ${local}`);
    }
    const notes = [
      `${NAME}: influxd 1.x (v1 /write) SIGKILLed for ${Math.round((upAt - downAt) / 1000)} s while 2 agents streamed at 10 Hz, then restarted on its port and data; ${backlog} batches were made and not stored when it came back; the ledger held them all ${backfillS} s later; cpu points in InfluxDB against the local copy: ${counts.join(", ")}`,
      ...notesOf(NAME, tallies, stack, problems),
    ];
    return { rows: [rowOf(NAME, tallies, stack, problems)], notes };
  } finally {
    await stack.close();
    await stack.watch.stop(influxd.proc, "SIGKILL");
    await first.stop();
  }
}

export const influxDown: Scenario = { name: NAME, summary: "influxd (the InfluxDB-protocol store) down --outage-seconds, then back: all backfilled", run };
