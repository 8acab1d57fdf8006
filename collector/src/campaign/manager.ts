// Campaigns started through the collector's API: validated before anything
// runs (unknown congestion control is checked against what the endpoint
// agents' kernels offer), then run in the background; stop() aborts them and
// waits until the running cell has restored its settings.
import { randomUUID } from "node:crypto";
import type { Logger } from "@eastwest/common";
import { ConfigError, errorMessage } from "@eastwest/common";
import type { Sessions } from "../control/sessions.ts";
import type { ModelConstants } from "../model/cost-model.ts";
import type { Store } from "../store/types.ts";
import { runCampaign, type CampaignRecord, type Progress } from "./runner.ts";
import { parseCampaignSpec } from "./spec.ts";
import type { CampaignSpec } from "./types.ts";
import type { ClockSource } from "../clock/clocks.ts";

export interface ManagerDeps {
  sessions: Sessions;
  store: Store;
  logger: Logger;
  constants: () => ModelConstants;
  /** The agents' clock offsets, for the runs' windows. */
  clocks?: ClockSource;
}

/** Congestion controls every named agent's kernel offers (netstate_stack cc_available), or undefined when unknown. */
export async function availableCongestion(store: Store, agentIds: readonly string[]): Promise<string[] | undefined> {
  let common: Set<string> | undefined;
  for (const id of agentIds) {
    const row = (await store.latest({ measurement: "netstate_stack", tags: { agent_id: id } }))[0];
    if (!row) return undefined;
    const have = new Set((row.tags["cc_available"] ?? "").split(" ").filter(Boolean));
    common = common === undefined ? have : new Set([...common].filter((c) => have.has(c)));
  }
  return common ? [...common].sort() : undefined;
}

/** Parses a spec twice: once for its agents, then with their kernels' congestion controls. */
export async function validateSpec(text: string, format: "yaml" | "json", store: Store): Promise<CampaignSpec> {
  const first = parseCampaignSpec(text, format);
  const agents = first.endpoints.flatMap((e) => [e.server.agentId, e.client.agentId]);
  const cc = await availableCongestion(store, agents);
  return cc ? parseCampaignSpec(text, format, { availableCongestion: cc }) : first;
}

export class CampaignManager {
  readonly #d: ManagerDeps;
  #running = new Map<string, { abort: AbortController; done: Promise<CampaignRecord | undefined>; progress?: Progress }>();

  constructor(d: ManagerDeps) {
    this.#d = d;
  }

  /** Validates and starts; resolves with the id once the campaign is recorded. Throws ConfigError on a bad spec. */
  async start(body: unknown): Promise<{ id: string }> {
    const b = body as { spec?: unknown; format?: unknown };
    if (typeof b?.spec !== "string") throw new ConfigError(['body: expected {"spec": "<YAML or JSON text>", "format": "yaml"|"json"}']);
    const format = b.format === "json" ? "json" : "yaml";
    const spec = await validateSpec(b.spec, format, this.#d.store);
    const missing = [...new Set(spec.endpoints.flatMap((e) => [e.server.agentId, e.client.agentId]))].filter((a) => !this.#d.sessions.isConnected(a));
    if (missing.length > 0) throw new ConfigError(missing.map((a) => `endpoints: agent ${a} is not connected`));
    const id = randomUUID();
    const abort = new AbortController();
    const entry: { abort: AbortController; done: Promise<CampaignRecord | undefined>; progress?: Progress } = { abort, done: Promise.resolve(undefined) };
    entry.done = runCampaign(spec, { ...this.#d, constants: this.#d.constants(), id, signal: abort.signal, onProgress: (p) => (entry.progress = p) }).catch((err: unknown) => {
      this.#d.logger.error({ campaign: id, err: errorMessage(err) }, "campaign failed");
      return undefined;
    });
    this.#running.set(id, entry);
    void entry.done.finally(() => this.#running.delete(id));
    return { id };
  }

  progress(id: string): Progress | undefined {
    return this.#running.get(id)?.progress;
  }

  /** Aborts every running campaign and waits for their restores. Safe twice. */
  async stop(): Promise<void> {
    for (const r of this.#running.values()) r.abort.abort();
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }
}
