// The provisioned alert rules (grafana/provisioning/alerting/*.yaml) checked offline against Grafana 11.3's file
// provisioning format, as far as it can be without a Grafana server: the keys and types of its AlertRuleGroupV1,
// AlertRuleV1 and QueryV1 (pkg/services/provisioning/alerting/rules_types.go; unknown keys are rejected here, where
// Grafana would ignore them), what its mapping rejects (no group name or folder, no rule uid or title, no data, an
// unparsable interval or `for`, an unknown noDataState or execErrState, no condition), and what the ruler API
// rejects on save (an interval that is not a multiple of the 10 s scheduler tick, a uid over 40 characters or not
// unique, a condition or expression naming a refId the rule does not have, a data source uid that is not
// provisioned). Both files come from one definition: the same rules, thresholds and conditions.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { z } from "zod";
import { alertFile, type AlertFileDoc } from "../../integration/grafana/alert-checks.ts";

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;
const seconds = (d: string) => [...d.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)].reduce((a, m) => a + Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 }[m[2] as "s"], 0);
const stringMap = z.record(z.string(), z.string());
const query = z.object({
  refId: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/),
  queryType: z.string().optional(),
  relativeTimeRange: z.object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() }).strict().refine((r) => r.from > r.to, "from must be before to").optional(),
  datasourceUid: z.string().min(1),
  model: z.record(z.string(), z.unknown()),
}).strict();
const rule = z.object({
  uid: z.string().min(1).max(40).regex(/^[a-zA-Z0-9_-]+$/),
  title: z.string().min(1).max(190),
  condition: z.string().min(1),
  data: z.array(query).min(1),
  dashboardUid: z.string().optional(),
  panelId: z.number().int().optional(),
  noDataState: z.enum(["Alerting", "NoData", "OK"]),
  execErrState: z.enum(["Alerting", "Error", "OK"]),
  for: z.string().regex(DURATION),
  annotations: stringMap,
  labels: stringMap,
  isPaused: z.boolean(),
}).strict();
const file = z.object({
  apiVersion: z.literal(1),
  groups: z.array(z.object({ orgId: z.number().int().positive(), name: z.string().min(1), folder: z.string().min(1), interval: z.string().regex(DURATION).refine((d) => seconds(d) > 0 && seconds(d) % 10 === 0, "a multiple of 10 s"), rules: z.array(rule).min(1) }).strict()).min(1),
}).strict();

const DATASOURCES = fileURLToPath(new URL("../../../grafana/provisioning/datasources/eastwest.yaml", import.meta.url));
const provisioned = (parse(readFileSync(DATASOURCES, "utf8")) as { datasources: Array<{ uid: string; type: string }> }).datasources;
const NAMES = ["eastwest-influxdb.yaml", "eastwest-prometheus.yaml"] as const;
const REDUCERS = ["last", "mean", "max", "min", "sum", "count"];

function refProblems(doc: AlertFileDoc, dsType: string): string[] {
  const out: string[] = [];
  for (const r of doc.groups.flatMap((g) => g.rules)) {
    const ids = new Set(r.data.map((d) => d.refId));
    if (ids.size !== r.data.length) out.push(`${r.uid}: duplicate refIds`);
    if (!ids.has(r.condition)) out.push(`${r.uid}: condition ${r.condition} is no refId`);
    for (const d of r.data) {
      const m = d.model as Record<string, unknown>;
      if (m["refId"] !== d.refId) out.push(`${r.uid} [${d.refId}]: model refId ${String(m["refId"])}`);
      if (d.datasourceUid === "__expr__") {
        if (m["type"] === "reduce" && (!ids.has(String(m["expression"])) || !REDUCERS.includes(String(m["reducer"])))) out.push(`${r.uid} [${d.refId}]: reduce of ${String(m["expression"])} by ${String(m["reducer"])}`);
        else if (m["type"] === "math") for (const [, ref] of String(m["expression"]).matchAll(/\$([A-Za-z]\w*)/g)) { if (!ids.has(ref as string)) out.push(`${r.uid} [${d.refId}]: math names $${ref}`); }
        else if (m["type"] !== "reduce" && m["type"] !== "math") out.push(`${r.uid} [${d.refId}]: expression type ${String(m["type"])}`);
        continue;
      }
      const ds = provisioned.find((p) => p.uid === d.datasourceUid);
      if (ds?.type !== dsType) out.push(`${r.uid} [${d.refId}]: data source ${d.datasourceUid} is not a provisioned ${dsType}`);
      if (!d.relativeTimeRange) out.push(`${r.uid} [${d.refId}]: no relativeTimeRange`);
      if (typeof (m["expr"] ?? m["query"]) !== "string") out.push(`${r.uid} [${d.refId}]: no query text`);
    }
  }
  return out;
}

describe("grafana alert rules: Grafana 11.3 file provisioning, checked offline", () => {
  for (const name of NAMES) {
    it(`${name}: the schema, the references and the data source`, () => {
      const doc = alertFile(name);
      const parsed = file.safeParse(doc);
      assert.ok(parsed.success, parsed.success ? "" : JSON.stringify(parsed.error.issues, null, 1));
      assert.deepEqual(refProblems(doc, name.includes("prometheus") ? "prometheus" : "influxdb"), []);
      const uids = doc.groups.flatMap((g) => g.rules.map((r) => r.uid));
      assert.equal(new Set(uids).size, uids.length);
    });
  }

  it("the checks catch what Grafana rejects (a mutated file fails)", () => {
    const doc = structuredClone(alertFile("eastwest-prometheus.yaml"));
    const r = doc.groups[0]!.rules[0]!;
    assert.equal(file.safeParse({ ...doc, groups: [{ ...doc.groups[0], interval: "45s" }] }).success, false);
    assert.equal(file.safeParse({ ...doc, groups: [{ ...doc.groups[0], rules: [{ ...r, noDataState: "Nope" }] }] }).success, false);
    assert.equal(file.safeParse({ ...doc, groups: [{ ...doc.groups[0], rules: [{ ...r, uid: "x".repeat(41) }] }] }).success, false);
    r.condition = "Z";
    r.data[0]!.datasourceUid = "elsewhere";
    assert.equal(refProblems(doc, "prometheus").length, 2);
  });

  it("both languages: the same rules with the same conditions and windows, the six continuous-monitoring rules", () => {
    const [influx, prom] = NAMES.map((n) => alertFile(n).groups.flatMap((g) => g.rules));
    const shape = (rs: typeof influx) => rs!.map((r) => ({ uid: r.uid.replace(/-prom$/, ""), cond: r.data.find((d) => d.refId === r.condition)?.model.expression, ranges: r.data.map((d) => d.relativeTimeRange ?? null), for: r["for"] }));
    assert.deepEqual(shape(influx), shape(prom));
    assert.deepEqual(shape(prom).map((s) => s.uid), ["eastwest-softnet-drops", "eastwest-net-rx-one-cpu", "eastwest-tcp-retransmits", "eastwest-vm-exits-jump", "eastwest-vm-io-thread-saturated", "eastwest-vm-thread-waiting"]);
    assert.equal(shape(prom)[1]?.cond, "$RA / $RB > 0.9 && $RB > 1000 && $RC > 1");
  });
});
