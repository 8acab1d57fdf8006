// Interface settings changes as annotations, from the netstate snapshots (MTU, ethtool offloads, root qdisc).
// PromQL: changes() of the MTU and offload gauges (0/1) over $__rate_interval, and a netstate series that was not
// there $__rate_interval earlier (its qdisc or operstate label changed, or the interface or agent is new).
// InfluxQL: MTU changes (difference of the MTU per interface); offloads are booleans and the qdisc a tag, which
// InfluxQL cannot difference: the PromQL dashboards show those.
import { AnnotationQueryBuilder, type AnnotationQuery } from "@grafana/grafana-foundation-sdk/dashboard";
import type { Builder } from "@grafana/grafana-foundation-sdk/cog";
import { fieldName, measurementName, tagName } from "./names.ts";
import { datasourceRef, type Lang } from "./lang.ts";
import { label, sel, type PMatch } from "./promql.ts";
import { InfluxQLBuilder } from "./target.ts";

export const OFFLOADS = [
  "rx_checksumming", "tx_checksumming", "scatter_gather", "tcp_segmentation_offload", "generic_segmentation_offload",
  "generic_receive_offload", "large_receive_offload", "tx_nocache_copy",
];
const KEYS = ["agent_id", "interface", "setting"];

function promExpr(where: readonly PMatch[]): string {
  const keep = (e: string, setting: string) => `label_replace(${e}, "setting", "${setting}", "", "")`;
  const changed = (field: string, setting: string) => keep(`changes(${sel("netstate", field, where)}[$__rate_interval]) > 0`, setting);
  const mtu = sel("netstate", "mtu_bytes", where);
  const parts = [
    changed("mtu_bytes", "mtu"),
    ...OFFLOADS.map((f) => changed(f, f)),
    keep(`(${mtu} unless ${mtu} offset $__rate_interval)`, "qdisc_or_operstate"),
  ];
  const labels = ["agent_id", "interface", "qdisc", "operstate"].map((l) => label("netstate", l));
  return `max by (${[...labels, "setting"].join(", ")}) (${parts.join(" or ")})`;
}

function influxQuery(hostVar: string): string {
  const m = measurementName("netstate");
  const [mtu, host, agent, iface] = [fieldName(m, "mtu_bytes"), tagName(m, "host"), tagName(m, "agent_id"), tagName(m, "interface")];
  const inner = `SELECT difference(last("${mtu}")) AS "mtu_change" FROM "${m}" WHERE "${host}" =~ /^$${hostVar}$/ AND $timeFilter GROUP BY time($__interval), "${agent}", "${iface}"`;
  return `SELECT "mtu_change", "${agent}", "${iface}" FROM (${inner}) WHERE "mtu_change" <> 0 AND $timeFilter`;
}

/** Settings changes on the chosen hosts' interfaces (`hostVar`: the dashboard's host variable). */
export function settingsAnnotation(lang: Lang, hostVar = "host"): Builder<AnnotationQuery> {
  const a = new AnnotationQueryBuilder().name("Interface settings changed (MTU, offloads, qdisc)").datasource(datasourceRef(lang)).enable(true).iconColor("orange");
  if (lang === "influxql") return a.target(new InfluxQLBuilder(influxQuery(hostVar)).refId("Settings").annotation({ text: "mtu_change", tags: ["agent_id", "interface"] }));
  return a
    .expr(promExpr([{ label: "host", variable: hostVar }]))
    .titleFormat("{{setting}}")
    .textFormat("{{agent_id}} {{interface}}: {{setting}} changed (now qdisc {{qdisc}}, {{operstate}})")
    .tagKeys(KEYS.join(","))
    .step("5s")
    .useValueForTime(false);
}
