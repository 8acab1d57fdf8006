// `eastwest campaign run|report|show|list`: Table-1 style campaigns.
import { readSpecFile, validateSpecFile } from "../spec-file.ts";
import { ConfigError, createLogger, toJson } from "@eastwest/common";
import { EmbeddedStore, formatCampaign, withCampaignDiagnosis, loadCollectorConfig, parseCampaignSpec, reportFileName, runCampaign, validateSpec, type CampaignRecord, type Progress } from "@eastwest/collector";
import { startLab } from "../demo/lab.ts";
import { startVmLab } from "../lab/vm/lab.ts";
import { VM_LAB_OPTIONS, vmLabOptions } from "../lab/vm/options.ts";
import type { CliCommand, CliIo } from "../types.ts";
import { parseFlags, withConfigErrors } from "../flags.ts";
import { writeCampaignReport } from "../report-file.ts";
import { API_OPTIONS, apiTarget, callApi } from "../api.ts";

const USAGE = `usage: eastwest campaign run SPEC.yaml [--api URL | --lab [vm]] [--report FILE] [--json]
       eastwest campaign report ID [--api URL | --data FILE] [--out FILE]
       eastwest campaign show ID [--api URL | --data FILE] [--json]
       eastwest campaign list [--api URL | --data FILE]

run      validates the spec (every error at once, before anything changes), then for each
         cell snapshots and applies its settings on the agents, repeats iperf3 runs until
         the throughput's confidence interval is within the target (or the maximum count),
         and restores and verifies the settings, also after a failure or Ctrl-C.
         --api URL   a running collector's HTTP API (default http://127.0.0.1:7471; env EASTWEST_API)
         --token-file FILE  its bearer token (env EASTWEST_TOKEN, EASTWEST_TOKEN_FILE; on
                     loopback the collector's local api-token by default)
         --lab       build the namespace/bridge lab (as root; loopback otherwise) and run the
                     spec's cells there; the spec's endpoints are replaced by the lab's pair
         --lab vm    the same between two QEMU guests (the VM lab, 'eastwest lab --help'; its
                     flags: --cache-dir, --agent, --accel, --mem-mib, --clock-offset-s, --boot-timeout-s)
         --data FILE embedded store for --lab (eastwest-data/eastwest.db)
         --report FILE  also write the HTML report there (its path is printed)
report   writes a self-contained HTML report (plots and the Table-1 style table) to --out FILE
         (default campaign-<id>.html in the current directory) and prints its absolute path
`;

const OPTIONS = { ...API_OPTIONS, ...VM_LAB_OPTIONS, lab: { type: "boolean" as const }, data: { type: "string" as const }, out: { type: "string" as const }, report: { type: "string" as const }, json: { type: "boolean" as const } };

/** The stored record from the API or an embedded store file. */
async function load(values: Record<string, unknown>, id: string): Promise<CampaignRecord> {
  if (values["data"]) {
    const store = new EmbeddedStore(values["data"] as string);
    await store.open();
    try {
      const r = await store.getRecord("campaign", id);
      if (!r) throw new Error(`no campaign ${id} in ${values["data"] as string}`);
      // why: as the API does: a campaign stored before the diagnosis engine gets its cells explained on read.
      return await withCampaignDiagnosis(store, r.doc as CampaignRecord);
    } finally {
      await store.close();
    }
  }
  return ((await callApi(apiTarget(values), `/api/v1/records/campaign/${encodeURIComponent(id)}`)) as { doc: CampaignRecord }).doc;
}

function progressLine(io: CliIo): (p: Progress) => void {
  return (p) => io.stderr(`campaign: ${p.cellsDone}/${p.cellsTotal} cells done${p.etaS === null ? "" : `, ETA ${p.etaS} s`} — ${p.message}\n`);
}

async function runLab(io: CliIo, values: Record<string, unknown>, specPath: string, vm: boolean): Promise<CampaignRecord> {
  const { doc } = readSpecFile(specPath);
  const asRoot = process.getuid?.() === 0;
  // why: reject a bad spec before building anything, with the lab's future endpoints standing in.
  const placeholder = vm
    ? { name: "lab", server: { agentId: "vm-g1", interface: "eth0" }, client: { agentId: "vm-g0", interface: "eth0" }, serverAddress: "10.79.1.3" }
    : asRoot
    ? { name: "lab", server: { agentId: "lab-ns1", interface: "ewc000n1" }, client: { agentId: "lab-ns0", interface: "ewc000n0" }, serverAddress: "10.78.1.3" }
    : { name: "lab", server: { agentId: "lab-server", interface: "lo" }, client: { agentId: "lab-client", interface: "lo" }, serverAddress: "127.0.0.1" };
  parseCampaignSpec(JSON.stringify({ ...doc, endpoints: [placeholder] }), "json");
  const config = loadCollectorConfig({ env: process.env, flags: { http: { port: 0 }, grpc: { port: 0 }, ...(values["data"] ? { store: { path: values["data"] } } : {}) } });
  const logger = createLogger("campaign", "warn");
  const problems: string[] = [];
  const say = (l: string) => io.stderr(`campaign: ${l}\n`);
  const vmOptions = vm ? vmLabOptions(values, { config, logger, say }, problems) : undefined;
  if (problems.length > 0) throw new ConfigError(problems);
  if (!asRoot && !vm) io.stderr("campaign: not root: the lab runs over loopback, and offload settings on lo may be refused\n");
  let cleanup: (() => Promise<void>) | undefined;
  const abort = new AbortController();
  const onSignal = () => {
    io.stderr("campaign: interrupted: restoring the current cell's settings, then cleaning up\n");
    abort.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const lab = vmOptions ? await startVmLab({ ...vmOptions, signal: abort.signal }, (c) => (cleanup = c)) : await startLab({ config, logger, bridge: asRoot, stem: "ewc", base: "10.78", idPrefix: "lab", say }, (c) => (cleanup = c));
    doc["endpoints"] = [{ name: "lab", server: lab.server, client: lab.client, serverAddress: lab.serverAddress }];
    const spec = await validateSpec(JSON.stringify(doc), "json", lab.collector.store);
    return await runCampaign(spec, { sessions: lab.collector.sessions, store: lab.collector.store, logger, constants: lab.collector.constants, observers: lab.agents, signal: abort.signal, onProgress: progressLine(io) });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanup?.();
  }
}

async function runApi(io: CliIo, values: Record<string, unknown>, specPath: string): Promise<CampaignRecord> {
  // why: a bad spec is the user's to fix here and now, with the file's name and line, whether or not a collector answers.
  const f = readSpecFile(specPath);
  validateSpecFile(specPath, f);
  return postCampaign(io, values, f.text, f.format);
}

/** Starts a campaign through the API (values: --api, --token-file) and follows it until it is no longer running. */
export async function postCampaign(io: CliIo, values: Record<string, unknown>, spec: string, format: "json" | "yaml"): Promise<CampaignRecord> {
  const { id } = (await callApi(apiTarget(values), "/api/v1/campaigns", { body: JSON.stringify({ spec, format }) })) as { id: string };
  io.stderr(`campaign: started ${id}\n`);
  const t0 = Date.now();
  let seen = -1;
  for (;;) {
    const rec = await load(values, id);
    if (rec.cells.length !== seen) {
      seen = rec.cells.length;
      const eta = seen > 0 ? Math.round((((Date.now() - t0) / seen) * (rec.cellsTotal - seen)) / 1000) : null;
      io.stderr(`campaign: ${seen}/${rec.cellsTotal} cells done${eta === null ? "" : `, ETA ${eta} s`}\n`);
    }
    if (rec.status !== "running") return rec;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function run(io: CliIo, values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const [sub, arg] = positionals;
  if (sub === "list") {
    const list = values["data"] ? await listData(values["data"] as string) : ((await callApi(apiTarget(values), "/api/v1/records/campaign?limit=50")) as { records: Array<{ doc: CampaignRecord }> }).records.map((r) => r.doc);
    for (const c of list) io.stdout(`${c.id}  ${c.name}  ${c.status}  ${c.cells.length}/${c.cellsTotal} cells\n`);
    return 0;
  }
  if (!arg) throw new ConfigError([`campaign ${sub ?? ""}: an argument is required (see --help)`]);
  if (sub === "run") {
    // why: `--lab` is a switch; `--lab vm` leaves "vm" among the positionals, before or after the spec.
    const labKind = values["lab"] && arg === "vm" && positionals[2] !== undefined ? "vm" : positionals[2];
    const specArg = labKind === "vm" && arg === "vm" ? (positionals[2] as string) : arg;
    if (labKind !== undefined && (!values["lab"] || labKind !== "vm")) throw new ConfigError([`campaign run: unexpected ${JSON.stringify(labKind)} (a lab is asked for with --lab, or --lab vm for the VM lab)`]);
    const rec = values["lab"] ? await runLab(io, values, specArg, labKind === "vm") : await runApi(io, values, specArg);
    io.stdout(values["json"] ? toJson(rec, 2) + "\n" : formatCampaign(rec));
    if (values["report"]) writeCampaignReport(io, rec, values["report"] as string);
    return rec.status === "done" ? 0 : 1;
  }
  if (sub === "report" || sub === "show") {
    const rec = await load(values, arg);
    if (sub === "show") return io.stdout(values["json"] ? toJson(rec, 2) + "\n" : formatCampaign(rec)), 0;
    const out = writeCampaignReport(io, rec, (values["out"] as string | undefined) ?? reportFileName(rec.id));
    io.stdout(`${out}\n`);
    return 0;
  }
  throw new ConfigError([`unknown subcommand ${JSON.stringify(sub)}: run, report, show, list`]);
}

async function listData(path: string): Promise<CampaignRecord[]> {
  const store = new EmbeddedStore(path);
  await store.open();
  try {
    return (await store.listRecords("campaign", 50)).map((r) => r.doc as CampaignRecord);
  } finally {
    await store.close();
  }
}

export const campaignCommand: CliCommand = {
  name: "campaign",
  summary: "run Table-1 style campaigns safely; reports with confidence intervals and verdicts",
  usage: USAGE,
  run: (argv, io) =>
    withConfigErrors(io, async () => {
      const { values, positionals, problems } = parseFlags(argv, OPTIONS, {}, true);
      if (values["help"]) return io.stdout(USAGE), 0;
      if (problems.length > 0) throw new ConfigError(problems);
      return run(io, values, positionals);
    }),
};
