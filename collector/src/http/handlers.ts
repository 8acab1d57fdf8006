// One handler per route. A handler returns a status and a JSON body; store
// failures reject with StoreError and become 503 in the server.
import { allMeasurements } from "@eastwest/common";
import type { AgentRecord, Store } from "../store/types.ts";
import { checkRecordKey, parseLatestParams, parseRecordsParams, parseSeriesParams } from "./params.ts";
import type { Route } from "./routes.ts";
import { summarizeVms, type VmSummary } from "../vms.ts";
import type { Parsed } from "./time.ts";
import { withDiagnosis } from "../diagnosis/record.ts";
import { withCampaignDiagnosis } from "../campaign/explain-load.ts";
import { seriesJson } from "./series-json.ts";

/** What the API needs of the agent registry. */
export interface AgentDirectory {
  list(): Promise<AgentRecord[]>;
  get(agentId: string): Promise<AgentRecord | undefined>;
}

export interface ApiDeps {
  store: Store;
  registry: AgentDirectory;
  /** Unix epoch ns, for relative times. */
  clock: () => bigint;
  /** GET /metrics (prometheus.ts), which needs the request's Accept headers. */
  metrics?: (req: MetricsRequest) => Promise<Reply>;
}

/** What GET /metrics reads of its request. */
export interface MetricsRequest {
  accept: string | undefined;
  acceptEncoding: string | undefined;
  head: boolean;
}

export interface Reply {
  status: number;
  body: unknown;
  /** Extra response headers (WWW-Authenticate, Connection). */
  headers?: Record<string, string>;
  /** A body already written (GET /metrics' text, GET /api/v1/series' JSON), sent as is with headers' content-type (JSON when absent); body is then ignored. */
  raw?: Buffer;
}

const ok = (body: unknown): Reply => ({ status: 200, body });
const fail = (status: number, error: string): Reply => ({ status, body: { error } });

export async function handle(route: Route, params: URLSearchParams, deps: ApiDeps): Promise<Reply> {
  switch (route.name) {
    case "healthz":
      return ok({ status: "ok" });
    case "metrics":
      return fail(500, "GET /metrics is served by server.ts");
    case "agents":
      return withParams(noParams(params), async () => ok({ agents: await deps.registry.list() }));
    case "agent":
      return withParams(noParams(params), () => agent(route.id, deps));
    case "measurements":
      return withParams(noParams(params), async () => ok({ measurements: measurements() }));
    case "vms":
      return withParams(noParams(params), async () => ok({ vms: await vms(deps) }));
    case "latest":
      return withParams(parseLatestParams(params), async (q) => ok({ rows: await deps.store.latest(q) }));
    case "series":
      return withParams(parseSeriesParams(params, deps.clock()), async (q) => ({ status: 200, body: undefined, raw: Buffer.from(seriesJson(q, await deps.store.queryColumns(q))) }));
    case "records":
      return withParams(parseRecordsParams(params), (p) => records(route.kind, p.limit, deps));
    case "record":
      return withParams(noParams(params), () => record(route.kind, route.id, deps));
  }
}

async function withParams<T>(parsed: Parsed<T>, next: (value: T) => Promise<Reply>): Promise<Reply> {
  return parsed.ok ? next(parsed.value) : fail(400, parsed.error);
}

function noParams(params: URLSearchParams): Parsed<null> {
  const keys = [...new Set(params.keys())];
  if (keys.length === 0) return { ok: true, value: null };
  return { ok: false, error: `this route takes no parameters (got ${keys.map((k) => `"${k}"`).join(", ")})` };
}

async function vms(deps: ApiDeps): Promise<VmSummary[]> {
  const [info, kvm, agents] = await Promise.all([deps.store.latest({ measurement: "vm_info" }), deps.store.latest({ measurement: "vm_kvm" }), deps.registry.list()]);
  return summarizeVms(info, kvm, agents);
}

async function agent(id: string, deps: ApiDeps): Promise<Reply> {
  const record = await deps.registry.get(id);
  if (record === undefined) return fail(404, `unknown agent "${id}"`);
  return ok({ agent: record, gaps: await deps.store.gaps(id) });
}

function measurements(): unknown[] {
  return [...allMeasurements()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, def]) => ({ name, doc: def.doc, tags: def.tags, fields: def.fields }));
}

async function records(kind: string, limit: number, deps: ApiDeps): Promise<Reply> {
  const bad = checkRecordKey(kind);
  if (bad !== undefined) return fail(400, bad);
  return ok({ records: await deps.store.listRecords(kind, limit) });
}

async function record(kind: string, id: string, deps: ApiDeps): Promise<Reply> {
  const bad = checkRecordKey(kind, id);
  if (bad !== undefined) return fail(400, bad);
  const found = await deps.store.getRecord(kind, id);
  if (found === undefined) return fail(404, `no record ${kind}/${id}`);
  // why: a run or campaign stored before the diagnosis engine gets its findings computed on read.
  if (kind === "run") return ok({ ...found, doc: await withDiagnosis(deps.store, found.doc) });
  return ok(kind === "campaign" ? { ...found, doc: await withCampaignDiagnosis(deps.store, found.doc) } : found);
}
