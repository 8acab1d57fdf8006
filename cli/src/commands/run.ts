// `eastwest run`: ask a running collector to execute a traffic run between two
// of its agents, then print the breakdown. `eastwest run show ID` / `run list`
// print stored runs.
import { ConfigError, toJson } from "@eastwest/common";
import { formatRun } from "@eastwest/collector/format";
import type { RunRecord } from "@eastwest/collector";
import type { CliCommand, CliIo } from "../types.ts";
import { parseFlags, withConfigErrors, type FlagMap } from "../flags.ts";
import { API_OPTIONS, API_USAGE, apiTarget, callApi } from "../api.ts";
import { storedRecord, storedRecords } from "../stored.ts";

const USAGE = `usage: eastwest run --server AGENT --client AGENT --server-address IP [flags]
       eastwest run show RUN_ID [--api URL | --data FILE] [--json]
       eastwest run list [--api URL | --data FILE]

Orders the collector's agents to run iperf3 (server on one, client on the other),
samples both ends faster for the run window, and prints throughput (iperf3 and
netdev at both ends), packets/s, bytes per packet, CPU incl. softirq,
retransmits, the flow's TCP_INFO and the per-64 KiB cost-model breakdown.

flags:
${API_USAGE}  --server AGENT          agent that runs iperf3 -s
  --client AGENT          agent that runs iperf3 -c
  --server-address IP     address the client connects to
  --server-interface IF   interface on the server agent (default: busiest in the window)
  --client-interface IF   interface on the client agent
  --port N                (5201)
  --duration-s N          (10)
  --streams N             (1)
  --length BYTES          iperf3 --length (iperf3's default)
  --congestion NAME       congestion control (host default)
  --reverse               server sends
  --interval-ms N         sampling interval during the run (200)
  --live                  stream samples during the traffic (default: agents hold
                          them until the traffic is over, to perturb it less)
  --profile false         no CPU profile of the traffic (default true: each machine
                          records one, which gives the measured per-packet terms)
  --json                  print the run record as JSON
  --data FILE             show and list: read the embedded store file instead of a
                          collector's API (e.g. eastwest-data/eastwest.db)
`;

const MAP: FlagMap = {
  server: { path: ["server", "agentId"], type: "string" },
  client: { path: ["client", "agentId"], type: "string" },
  "server-address": { path: ["serverAddress"], type: "string" },
  "server-interface": { path: ["server", "interface"], type: "string" },
  "client-interface": { path: ["client", "interface"], type: "string" },
  port: { path: ["port"], type: "number" },
  "duration-s": { path: ["durationS"], type: "number" },
  streams: { path: ["streams"], type: "number" },
  length: { path: ["lengthBytes"], type: "number" },
  congestion: { path: ["congestion"], type: "string" },
  reverse: { path: ["reverse"], type: "boolean" },
  "interval-ms": { path: ["sampleIntervalMs"], type: "number" },
  live: { path: ["live"], type: "boolean" },
  profile: { path: ["profile"], type: "json" },
};

const OPTIONS = {
  ...Object.fromEntries(Object.entries(MAP).map(([k, v]) => [k, { type: v.type === "boolean" ? ("boolean" as const) : ("string" as const) }])),
  ...API_OPTIONS,
  json: { type: "boolean" as const },
  data: { type: "string" as const },
};

async function show(io: CliIo, values: Record<string, unknown>, id: string | undefined): Promise<number> {
  if (!id) throw new ConfigError(["run show: a run id is required"]);
  const doc = (await storedRecord(values, "run", id)) as RunRecord;
  io.stdout(values["json"] ? toJson(doc, 2) + "\n" : formatRun(doc) + "\n");
  return 0;
}

async function list(io: CliIo, values: Record<string, unknown>): Promise<number> {
  for (const { id, doc } of (await storedRecords(values, "run")) as Array<{ id: string; doc: RunRecord }>) {
    const gbit = doc.results?.throughput?.iperf3_receiver_gbit_s;
    io.stdout(`${id}  ${doc.spec.client.agentId} -> ${doc.spec.server.agentId}  ${doc.spec.durationS}s  ${typeof gbit === "number" ? gbit.toFixed(2) + " Gbit/s" : "-"}\n`);
  }
  return 0;
}

export const runCommand: CliCommand = {
  name: "run",
  summary: "run iperf3 between two agents and explain it per 64 KiB packet",
  usage: USAGE,
  run: (argv, io) =>
    withConfigErrors(io, async () => {
      const { values, flags, problems, positionals } = parseFlags(argv, OPTIONS, MAP, true);
      if (values["help"]) return io.stdout(USAGE), 0;
      if (positionals[0] === "show") return show(io, values, positionals[1]);
      if (positionals[0] === "list") return list(io, values);
      if (values["data"]) problems.push("--data is for run show and run list; a run needs a running collector (--api)");
      const api = apiTarget(values);
      if (positionals.length > 0) problems.push(`unknown subcommand ${JSON.stringify(positionals[0])}`);
      if (problems.length > 0) throw new ConfigError(problems);
      io.stderr(`run: starting (${(flags["durationS"] as number | undefined) ?? 10} s of traffic)\n`);
      const record = (await callApi(api, "/api/v1/runs", { body: toJson(flags) })) as RunRecord;
      io.stdout(values["json"] ? toJson(record, 2) + "\n" : formatRun(record) + "\n");
      return 0;
    }),
};
