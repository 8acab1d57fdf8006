// The diagnosis of the chosen runs (collector/src/diagnosis/, one `diagnosis` point per finding at the end of the
// run's window): a table of every finding and, as annotations, the bottleneck and contributing ones. PromQL reads
// the findings while the collector exposes them (prometheus.staleAfterMs after the run): the table their last value
// in the range, the annotation the first scrape that shows each (a point where the series appeared).
import { AnnotationQueryBuilder, type AnnotationQuery } from "@grafana/grafana-foundation-sdk/dashboard";
import type { Builder } from "@grafana/grafana-foundation-sdk/cog";
import { toProm } from "./controls.ts";
import { select, type Col, type Match } from "./influxql.ts";
import { datasourceRef, type Lang } from "./lang.ts";
import { table, type PanelDef } from "./panels.ts";
import { by, sel } from "./promql.ts";
import { InfluxQLBuilder } from "./target.ts";

const RUN: Match = { tag: "run_id", variable: "run" };
const ACTIVE: Match = { tag: "verdict", regex: "^(bottleneck|contributing)$" };
/** One row per finding: the tags that tell findings of one run apart. */
export const FINDING_TAGS = ["run_id", "rule", "verdict", "end"];

/** Every finding of the chosen runs: rule, verdict, end, confidence (0..1), key value (the finding's own unit). */
export function findingsTable(): PanelDef {
  const cols: Col[] = [{ field: "confidence", agg: "last" }, { field: "key_value", agg: "last" }];
  const last = (field: string) => `last_over_time(${sel("diagnosis", field, toProm([RUN]))}[$__range])`;
  return table("Findings (diagnosis)", "none", {
    influx: [{ text: select({ from: "diagnosis", cols, where: [RUN], by: FINDING_TAGS }) }],
    prom: cols.map((c) => ({ expr: by("max", "diagnosis", FINDING_TAGS, last(c.field)), legend: c.field, instant: true })),
  }, {
    h: 10,
    description:
      "The rules' findings for each chosen run: verdict bottleneck (limits the run), contributing, ruled out, or cannot tell (the signal is missing here); " +
      "end: sender or receiver where the finding concerns one; confidence 0..1; key_value: the finding's key figure in its own unit " +
      "(`eastwest run show ID` prints it with its unit, the evidence and a suggested next experiment). Empty key_value: the finding has no figure.",
  });
}

/** Bottleneck and contributing findings of the chosen runs as points at the end of each run's window. */
export function findingsAnnotation(lang: Lang): Builder<AnnotationQuery> {
  const a = new AnnotationQueryBuilder().name("Findings (bottleneck, contributing)").datasource(datasourceRef(lang)).enable(true).iconColor("red");
  if (lang === "influxql") {
    const q = select({ from: "diagnosis", cols: [{ field: "confidence" }, { field: "key_value" }], tagCols: FINDING_TAGS, where: [RUN, ACTIVE] });
    return a.target(new InfluxQLBuilder(q).refId("Findings").annotation({ text: "rule", tags: ["run_id", "verdict", "end"], title: "verdict" }));
  }
  const s = by("max", "diagnosis", FINDING_TAGS, sel("diagnosis", "confidence", toProm([RUN, ACTIVE])));
  return a
    .expr(`${s} unless ${s.replace(/\}\)$/, "} offset 5s)")}`)
    .titleFormat("{{verdict}}: {{rule}}")
    .textFormat("run {{run_id}}: {{rule}} {{verdict}} at {{end}}")
    .tagKeys(FINDING_TAGS.join(","))
    .step("5s")
    .useValueForTime(false);
}
