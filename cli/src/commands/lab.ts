// `eastwest lab vm up|run|campaign|down`: two QEMU guests on one host over virtio-net (cli/src/lab/vm), kept up
// by `up` until `down` (or Ctrl-C); `run` and `campaign` go through the lab collector's HTTP API.
import { readSpecFile } from "../spec-file.ts";
import { ConfigError, createLogger, errorMessage, toJson } from "@eastwest/common";
import { formatCampaign, loadCollectorConfig, type RunRecord } from "@eastwest/collector";
import { writeCampaignReport } from "../report-file.ts";
import { formatRun } from "@eastwest/collector/format";
import type { CliCommand, CliIo } from "../types.ts";
import { parseFlags, withConfigErrors } from "../flags.ts";
import { callApi, apiTarget } from "../api.ts";
import { untilSignal } from "../signals.ts";
import { postCampaign } from "./campaign.ts";
import { startVmLab } from "../lab/vm/lab.ts";
import { VM_LAB_OPTIONS, VM_LAB_USAGE, vmLabOptions } from "../lab/vm/options.ts";
import { readState, removeState, statePath, writeState, type VmLabState } from "../lab/vm/state.ts";
import { vmLabDown } from "../lab/vm/down.ts";

const USAGE = `usage: eastwest lab vm up [flags]
       eastwest lab vm run [--duration-s N] [--json]
       eastwest lab vm campaign SPEC.yaml [--json] [--report FILE]
       eastwest lab vm down

up        as root: two QEMU guests (the lab's Debian kernel and busybox initramfs,
          the deployable agent inside each, guest role) on taps on a Linux bridge
          (a private 10.79.N.0/24), a host agent, and a collector with its HTTP API;
          stays up until 'down' or Ctrl-C, then removes everything it made.
run       iperf3 from guest 0 to guest 1, explained per 64 KiB packet
campaign  a campaign between the guests (the spec's endpoints are the lab's pair)
down      stops the lab and checks that nothing of it is left

flags:
  --data FILE          the lab collector's store (eastwest-data/eastwest.db)
  --state FILE         the running lab's state (lab-vm.json beside --data)
  --http-port PORT     up: the API's port (default: any free port)
${VM_LAB_USAGE}  --duration-s N       run: seconds of traffic (10)
  --json               run, campaign: the record as JSON
  --report FILE        campaign: also write the HTML report
`;

const OPTIONS = { ...VM_LAB_OPTIONS, data: { type: "string" as const }, state: { type: "string" as const }, "http-port": { type: "string" as const }, "duration-s": { type: "string" as const }, json: { type: "boolean" as const }, report: { type: "string" as const } };

function collectorConfig(values: Record<string, unknown>, problems: string[]) {
  const port = values["http-port"] === undefined ? 0 : Number(values["http-port"]);
  return loadCollectorConfig({ env: process.env, flags: { http: { port }, grpc: { port: 0 }, ...(values["data"] ? { store: { path: values["data"] } } : {}) }, problems });
}

async function up(io: CliIo, values: Record<string, unknown>, problems: string[]): Promise<number> {
  const t0 = performance.now();
  const say = (l: string) => io.stdout(`lab vm: ${l}\n`);
  const config = collectorConfig(values, problems);
  const opts = vmLabOptions(values, { config, logger: createLogger("lab", "warn"), say }, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const file = statePath(values, config.store.path);
  let cleanup: (() => Promise<void>) | undefined;
  const abort = new AbortController();
  const stop = untilSignal().then(() => abort.abort());
  try {
    const lab = await startVmLab({ ...opts, signal: abort.signal }, (c) => (cleanup = c));
    const s: VmLabState = {
      pid: process.pid, tag: lab.tag, api: `http://127.0.0.1:${lab.collector.httpPort}`, tokenFile: lab.collector.localTokenFile ?? "",
      client: lab.client, server: lab.server, serverAddress: lab.serverAddress, agents: lab.agents, bridge: lab.bridge, linkPrefix: `ewv${lab.tag}`,
      guests: lab.guests.map(({ name, uuid, agentId, ip, pid, bootS, agentS, connectedS }) => ({ name, uuid, agentId, ip, pid, bootS, agentS, connectedS })),
      accel: lab.accel.reason, vhost: lab.vhost, image: `${lab.image.packages}${lab.image.cached ? " (cached)" : ""}`, runDir: lab.runDir, upS: Number(((performance.now() - t0) / 1000).toFixed(1)),
    };
    writeState(file, s);
    for (const g of s.guests) say(`guest ${g.name} ${g.ip} uuid ${g.uuid} pid ${g.pid}: booted to /init in ${g.bootS ?? "?"} s; agent ${g.agentId} connected ${g.agentS ?? "?"} s after its start (${g.connectedS} s after qemu started)`);
    say(`host agent ${lab.hostAgent}; image ${s.image}; API ${s.api}`);
    say(`ready in ${s.upS} s (state ${file}); 'eastwest lab vm run', 'eastwest lab vm down'`);
    await stop;
    say("stopping");
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if (abort.signal.aborted) return io.stderr("lab vm: interrupted while starting\n"), 130;
    io.stderr(`lab vm: failed: ${errorMessage(err)}\n`);
    return 1;
  } finally {
    await cleanup?.();
    removeState(file);
    say("down: everything the lab made is removed");
  }
}

async function run(io: CliIo, values: Record<string, unknown>, s: VmLabState): Promise<number> {
  const api = apiTarget({ api: s.api, "token-file": s.tokenFile });
  const durationS = values["duration-s"] === undefined ? 10 : Number(values["duration-s"]);
  if (!Number.isInteger(durationS) || durationS < 1) throw new ConfigError([`--duration-s: a whole number of seconds >= 1`]);
  io.stderr(`lab vm: run ${s.client.agentId} -> ${s.server.agentId} (${s.serverAddress}), ${durationS} s\n`);
  const record = (await callApi(api, "/api/v1/runs", { body: toJson({ client: s.client, server: s.server, serverAddress: s.serverAddress, durationS }) })) as RunRecord;
  io.stdout(values["json"] ? toJson(record, 2) + "\n" : formatRun(record) + "\n");
  return 0;
}

async function campaign(io: CliIo, values: Record<string, unknown>, s: VmLabState, specPath: string): Promise<number> {
  const { doc } = readSpecFile(specPath);
  doc["endpoints"] = [{ name: "vmlab", client: s.client, server: s.server, serverAddress: s.serverAddress }];
  const rec = await postCampaign(io, { api: s.api, "token-file": s.tokenFile }, JSON.stringify(doc), "json");
  io.stdout(values["json"] ? toJson(rec, 2) + "\n" : formatCampaign(rec));
  if (values["report"]) writeCampaignReport(io, rec, values["report"] as string, "lab vm");
  return rec.status === "done" ? 0 : 1;
}

async function dispatch(io: CliIo, values: Record<string, unknown>, positionals: string[], problems: string[]): Promise<number> {
  const [kind, sub, arg] = positionals;
  if (kind !== "vm") throw new ConfigError([`lab ${kind ?? ""}: the only lab here is 'vm' (the namespace lab: 'eastwest demo', 'campaign run --lab')`]);
  if (sub === "up") return up(io, values, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const file = statePath(values, collectorConfig(values, []).store.path);
  if (sub === "down") {
    const s = readState(file);
    const left = await vmLabDown(s, file, (l) => io.stdout(`lab vm: ${l}\n`));
    io.stdout(left.length === 0 ? "lab vm: down; nothing was left behind\n" : `lab vm: down; removed what the lab process left: ${left.join(", ")}\n`);
    return 0;
  }
  if (sub === "run") return run(io, values, readState(file));
  if (sub === "campaign") {
    if (!arg) throw new ConfigError(["lab vm campaign: a spec file is required"]);
    return campaign(io, values, readState(file), arg);
  }
  throw new ConfigError([`lab vm ${sub ?? ""}: up, run, campaign or down`]);
}

export const labCommand: CliCommand = {
  name: "lab",
  summary: "the VM lab: two QEMU guests over virtio-net on a bridge, agents inside, a host agent (up, run, campaign, down)",
  usage: USAGE,
  run: (argv, io) =>
    withConfigErrors(io, async () => {
      const { values, positionals, problems } = parseFlags(argv, OPTIONS, {}, true);
      if (values["help"]) return io.stdout(USAGE), 0;
      return dispatch(io, values, positionals, problems);
    }),
};
