// eastwest fault suite: real processes, one fault each, one table. Not run in CI. Progress goes to stderr, the
// table and its notes to stdout.
//   node faults/run.ts [--only a,b] [--quick] [--seconds N] ...     (npm run faults -- --help)
import { parseArgs } from "node:util";
import { killAll } from "../helpers/procs.ts";
import { cleanUpOnExit, runCleanups } from "../bench/host.ts";
import { renderNotes } from "../bench/table.ts";
import { failedRow, renderFaultTable } from "./report.ts";
import { SCENARIOS } from "./scenarios.ts";
import type { FaultOptions, FaultOutcome, Scenario } from "./types.ts";

const DEFAULTS = { seconds: 60, "kill-every": 5, "agent-kills": 10, "nats-kills": 3, "outage-seconds": 60, "full-seconds": 30, "fuzz-seconds": 600, connections: 300, "idle-ms": 30_000 };
const QUICK: typeof DEFAULTS = { seconds: 12, "kill-every": 3, "agent-kills": 3, "nats-kills": 1, "outage-seconds": 8, "full-seconds": 5, "fuzz-seconds": 10, connections: 200, "idle-ms": 2000 };
type Knob = keyof typeof DEFAULTS;

const USAGE = `usage: node faults/run.ts [flags]   (from the repo root: npm run faults -- [flags])

  --only LIST          scenarios to run, comma separated (default: all, in this order):
${SCENARIOS.map((s) => `                         ${s.name.padEnd(16)}${s.summary}`).join("\n")}
  --quick              smoke mode: each scenario about 10-20 s (the figures below in parentheses);
                       a flag given explicitly still wins
  --seconds N          streaming time of collector-kill, agent-kill, nats-kill, impostor, half-open (60; 12)
  --kill-every N       collector-kill: a SIGKILL every N s (5; 3)
  --agent-kills N      agent-kill: SIGKILLs of the agent, spread over --seconds (10; 3)
  --nats-kills N       nats-kill: SIGKILLs of nats-server, spread over --seconds (3; 1)
  --outage-seconds N   influx-down: how long influxd stays down (60; 8)
  --full-seconds N     disk-full: how long the collector's disk stays full (30; 5)
  --fuzz-seconds N     fuzz: how long the fuzzer runs (600; 10)
  --connections N      half-open: silent connections opened (300; 200)
  --idle-ms N          half-open: the collector's grpc.maxConnectionIdleMs (30000, its default; 2000)
  --help

Needs root for disk-full (it mounts a tmpfs) and the Debian binaries nats-server and influxd.
Counting: "made" is every seq an agent numbered (its spool on disk), "stored" the collector's ledger, "missing"
made and never stored, "duplicated" repeated (series, time) points of the agents' cpu and netdev series.
Agents run with spool fsync always (no fsync window) at 10 Hz (cpu, netdev, tcp, softirqs, softnet), a batch every 50-100 ms.
Exit status: 0 when every row met its target, 1 otherwise, 64 on bad flags.`;

function parse(argv: string[]): { opts?: FaultOptions & { only: Scenario[] }; problems: string[]; help: boolean } {
  const knobs = Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, { type: "string" as const }]));
  const { values } = parseArgs({ args: argv, options: { ...knobs, only: { type: "string" }, quick: { type: "boolean", default: false }, help: { type: "boolean", default: false } } });
  const problems: string[] = [];
  const quick = values.quick === true;
  const num = (k: Knob, min: number): number => {
    const raw = (values as Record<string, unknown>)[k];
    if (raw === undefined) return (quick ? QUICK : DEFAULTS)[k];
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) problems.push(`--${k}: expected a number >= ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const only: Scenario[] = [];
  for (const name of (values.only ?? SCENARIOS.map((s) => s.name).join(",")).split(",").map((s) => s.trim()).filter(Boolean)) {
    const s = SCENARIOS.find((x) => x.name === name);
    if (s) only.push(s);
    else problems.push(`--only: unknown scenario ${JSON.stringify(name)} (${SCENARIOS.map((x) => x.name).join(", ")})`);
  }
  const opts = {
    quick,
    only,
    seconds: num("seconds", 1),
    killEveryS: num("kill-every", 0.5),
    agentKills: Math.floor(num("agent-kills", 1)),
    natsKills: Math.floor(num("nats-kills", 1)),
    outageSeconds: num("outage-seconds", 1),
    fullSeconds: num("full-seconds", 1),
    fuzzSeconds: num("fuzz-seconds", 1),
    connections: Math.floor(num("connections", 1)),
    idleMs: Math.floor(num("idle-ms", 100)),
    log,
  };
  return { opts, problems, help: values.help === true };
}

const log = (line: string) => process.stderr.write(`[faults] ${line}\n`);

async function guarded(s: Scenario, o: FaultOptions): Promise<FaultOutcome> {
  log(`${s.name}: starting`);
  try {
    return await s.run(o);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`${s.name} failed: ${err instanceof Error && err.stack ? err.stack : message}`);
    return { rows: [failedRow(s.name, message.split("\n")[0]?.slice(0, 160) ?? "")], notes: [] };
  } finally {
    await killAll();
    await runCleanups(log);
  }
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    return 64;
  }
  if (parsed.help) return (process.stdout.write(`${USAGE}\n`), 0);
  if (parsed.problems.length > 0 || !parsed.opts) return (process.stderr.write(`${parsed.problems.join("\n")}\n\n${USAGE}\n`), 64);
  const o = parsed.opts;
  const outcomes: FaultOutcome[] = [];
  for (const s of o.only) outcomes.push(await guarded(s, o));
  const rows = outcomes.flatMap((x) => x.rows);
  const notes = outcomes.flatMap((x) => x.notes);
  process.stdout.write(`\n${renderFaultTable(rows)}\n`);
  if (notes.length > 0) process.stdout.write(`\n${renderNotes(notes)}\n`);
  return rows.every((r) => r.result === "ok") ? 0 : 1;
}

cleanUpOnExit(log);

process.exitCode = await main();
