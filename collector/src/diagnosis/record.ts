// A stored run record with its diagnosis: the one made with the run, else computed now from the record and the
// samples the store still holds for its window (older records, made before the engine). Never throws for a
// malformed record: the diagnosis then says what it could not read.
import type { Store } from "../store/types.ts";
import { diagnose } from "./engine.ts";
import { loadRunSamples, type SampledRun } from "./load.ts";
import type { DiagnosedRun, Diagnosis } from "./types.ts";

function sampled(doc: Record<string, unknown>): SampledRun | undefined {
  const spec = doc["spec"] as { server?: { agentId?: unknown }; client?: { agentId?: unknown } } | undefined;
  const w = doc["window"] as { fromNs?: unknown; toNs?: unknown } | undefined;
  const ok = (v: unknown) => typeof v === "bigint" || typeof v === "number" || (typeof v === "string" && /^\d+$/.test(v));
  if (typeof spec?.server?.agentId !== "string" || typeof spec.client?.agentId !== "string" || !ok(w?.fromNs) || !ok(w?.toNs)) return undefined;
  return doc as unknown as SampledRun;
}

/** The diagnosis of a stored run document: its own, or one computed now (with the store's samples when readable). */
export async function diagnosisOf(store: Store, doc: unknown): Promise<Diagnosis | undefined> {
  if (typeof doc !== "object" || doc === null || !("results" in doc)) return undefined;
  const d = doc as Record<string, unknown>;
  if (typeof d["diagnosis"] === "object" && d["diagnosis"] !== null) return d["diagnosis"] as Diagnosis;
  const run = sampled(d);
  const samples = run ? await loadRunSamples(store, run) : null;
  return diagnose(d as unknown as DiagnosedRun, samples);
}

/** doc with `diagnosis` set (a copy; doc itself is not changed). */
export async function withDiagnosis<T>(store: Store, doc: T): Promise<T> {
  const diagnosis = await diagnosisOf(store, doc);
  return diagnosis === undefined ? doc : { ...(doc as object), diagnosis } as T;
}
