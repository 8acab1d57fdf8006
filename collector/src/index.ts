// @eastwest/collector: the collector as a library, for the eastwest binary (cli/) and for embedding.
// Lighter entry points: "@eastwest/collector/model" (the cost model alone) and "@eastwest/collector/format"
// (formatting of the HTTP API's answers). Everything not listed here is internal.
export { Collector } from "./collector.ts";
export { COLLECTOR_ENV, collectorConfigSchema, collectorDefaults, loadCollectorConfig } from "./config.ts";
export type { CollectorConfig } from "./config.ts";
// Stores: the embedded store is also what `eastwest campaign --lab` keeps its records in.
export { createStore, POINT_STORE_KINDS } from "./store/index.ts";
export type { PointStoreKind } from "./store/index.ts";
export { EmbeddedStore } from "./store/embedded/store.ts";
export { StoreError } from "./store/types.ts";
export type { Store } from "./store/types.ts";
// Runs: iperf3 between two agents, explained by the cost model.
export { defaultSpec, executeRun, RunError } from "./run/runner.ts";
export type { RunRecord, RunnerDeps } from "./run/runner.ts";
export type { RunEndpoint, RunSpec } from "./run/types.ts";
// Diagnosis: the findings of the rules over a run (bottleneck, contributing, ruled out, cannot tell).
export { diagnose } from "./diagnosis/engine.ts";
export { withDiagnosis } from "./diagnosis/record.ts";
export type { Diagnosis, Finding, Verdict } from "./diagnosis/types.ts";
// Campaigns: Table-1 style matrices, their verdicts and the HTML report.
export { CampaignError, runCampaign } from "./campaign/runner.ts";
export type { CampaignDeps, CampaignRecord, Progress } from "./campaign/runner.ts";
export { validateSpec } from "./campaign/manager.ts";
export { parseCampaignSpec, readText as readSpecText } from "./campaign/spec.ts";
export { renderReport, reportFileName } from "./campaign/report.ts";
export { reportInput } from "./campaign/report-input.ts";
export { withCampaignDiagnosis } from "./campaign/explain-load.ts";
export type { CampaignDiagnosis, CellExplanation } from "./campaign/explain.ts";
export * from "./format.ts";
// NATS user keys for `eastwest nats-auth`.
export { newUserNkey, publicKeyOfSeed } from "./ingest/nats-keys.ts";
export type { UserNkey } from "./ingest/nats-keys.ts";
