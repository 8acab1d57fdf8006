// Reads a run's diagnosis samples from the store (the only I/O of diagnosis/): per end, the series of
// SAMPLE_MEASUREMENTS over the run window. A store error becomes `missing`, never a throw: a diagnosis
// without samples is still a diagnosis (rules that need them say cannot tell).
import { errorMessage } from "@eastwest/common";
import type { Store } from "../store/types.ts";
import { NETSTATE_LOOKBACK_NS, SAMPLE_FIELDS, type EndSamples, type RunSamples, type SampleMeasurement } from "./samples.ts";

export interface SampledRun {
  spec: { server: { agentId: string }; client: { agentId: string } };
  window: { fromNs: bigint | number | string; toNs: bigint | number | string };
}

function ns(v: bigint | number | string): bigint {
  return typeof v === "bigint" ? v : BigInt(typeof v === "number" ? Math.round(v) : v);
}

async function endSamples(store: Store, agentId: string, fromNs: bigint, toNs: bigint): Promise<EndSamples> {
  const q = (measurement: SampleMeasurement, from = fromNs) => store.query({ measurement, fromNs: from, toNs, tags: { agent_id: agentId }, ...(SAMPLE_FIELDS[measurement] ? { fields: [...(SAMPLE_FIELDS[measurement] ?? [])] } : {}) });
  const [cpu, softirqs, softnet, netstate] = await Promise.all([q("cpu"), q("softirqs"), q("softnet"), q("netstate", fromNs - NETSTATE_LOOKBACK_NS)]);
  return { agent_id: agentId, cpu, softirqs, softnet, netstate };
}

const empty = (agentId: string): EndSamples => ({ agent_id: agentId, cpu: [], softirqs: [], softnet: [], netstate: [] });

/** The run's samples; on a store error, empty lists and the reason. */
export async function loadRunSamples(store: Store, run: SampledRun): Promise<RunSamples> {
  const server = run.spec.server.agentId;
  const client = run.spec.client.agentId;
  let fromNs = 0n;
  let toNs = 0n;
  try {
    fromNs = ns(run.window.fromNs);
    toNs = ns(run.window.toNs);
    const [s, c] = await Promise.all([endSamples(store, server, fromNs, toNs), endSamples(store, client, fromNs, toNs)]);
    return { fromNs, toNs, server: s, client: c };
  } catch (err) {
    return { fromNs, toNs, server: empty(server), client: empty(client), missing: `samples not read from the store: ${errorMessage(err)}` };
  }
}
