// @eastwest/collector/format: what a client of the collector's HTTP API needs to show its answers (runs, VMs,
// campaigns): the exact JSON reader (integers beyond 2^53 as bigint) and the text formatting. Pure; loads none of
// the server.
export { parseExact } from "./store/json.ts";
export { formatRun } from "./run/format.ts";
export type { RunRecord } from "./run/runner.ts";
export { formatVms } from "./vms.ts";
export type { VmSummary } from "./vms.ts";
export { formatCampaign } from "./campaign/format.ts";
export type { CampaignRecord } from "./campaign/runner.ts";
