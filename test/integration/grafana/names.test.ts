// The dashboards' names come from the schema: a field, tag or measurement the schema does not
// define fails generation (SchemaNameError), so a renamed field breaks the build, not a panel.
import assert from "node:assert/strict";
import { rollup, select, tagValues } from "../../../grafana/src/influxql.ts";
import { fieldName, SchemaNameError, tagName } from "../../../grafana/src/names.ts";

describe("grafana: names are checked against the schema at generation", () => {
  it("accepts schema names and refuses others", () => {
    assert.equal(fieldName("netdev", "rx_bytes_per_s"), "rx_bytes_per_s");
    assert.equal(tagName("cpu", "cpu"), "cpu");
    assert.throws(() => fieldName("netdev", "rx_bits_per_s"), SchemaNameError);
    assert.throws(() => tagName("netdev", "cpu"), /"netdev" has no tag "cpu"/);
    assert.throws(() => fieldName("no_such", "x"), /measurement "no_such" is not in the schema/);
  });

  it("every part of a query is checked: fields, aliases, filters, grouping, variables", () => {
    const ok = select({ from: "cpu", cols: [{ field: "busy_pct", agg: "mean" }], where: [{ tag: "host", variable: "host" }], byTime: true, by: ["host"], fill: "null" });
    assert.equal(ok, `SELECT mean("busy_pct") AS "busy_pct" FROM "cpu" WHERE "host" =~ /^$host$/ AND $timeFilter GROUP BY time($__interval), "host" fill(null)`);
    assert.throws(() => select({ from: "cpu", cols: [{ field: "busy", agg: "mean" }] }), SchemaNameError);
    assert.throws(() => select({ from: "cpu", cols: [{ field: "busy_pct", agg: "mean" }], where: [{ tag: "vm", eq: "x" }] }), SchemaNameError);
    assert.throws(() => select({ from: "cpu", cols: [{ field: "busy_pct", agg: "mean" }], by: ["interface"] }), SchemaNameError);
    assert.throws(() => select({ from: "cpu", cols: [{ field: "busy_pct", agg: "mean", as: "Busy %" }] }), /alias/);
    assert.throws(() => select({ from: "run", cols: [{ field: "efficiency_pct", agg: "mean" }], tagCols: ["run_id"] }), /raw select/);
    assert.throws(() => tagValues("vm_info", "vm_name"), SchemaNameError);
    assert.throws(() => rollup({ from: "softirqs", cols: [{ field: "net_rx_per_s", agg: "mean" }], by: ["cpu"] }, { agg: "sum", by: ["host"] }), /does not/);
  });

  it("escapes constants: quotes in tag values, slashes in regexes", () => {
    const q = select({ from: "vm_thread", cols: [{ field: "run_pct", agg: "mean" }], where: [{ tag: "thread", eq: "CPU 0/KVM's" }, { tag: "thread_kind", regex: "^a/b$" }] });
    assert.match(q, /"thread" = 'CPU 0\/KVM\\'s' AND "thread_kind" =~ \/\^a\\\/b\$\//);
  });
});

describe("grafana: PromQL names are the exposition's, checked at generation", () => {
  it("maps fields to their metric, refuses fields the exposition leaves out, checks labels", async () => {
    const { label, metric, promOf, rate, sel, storedScale } = await import("../../../grafana/src/promql.ts");
    assert.equal(metric("netdev", "rx_bytes_total"), "eastwest_netdev_rx_bytes_total");
    assert.equal(metric("tcp_flow", "rtt_ns"), "eastwest_tcp_flow_rtt_seconds");
    assert.throws(() => metric("netdev", "rx_bytes_per_s"), /rate of rx_bytes_total/);
    assert.throws(() => metric("no_such", "x"), SchemaNameError);
    assert.throws(() => label("netdev", "cpu"), /no label "cpu"/);
    assert.equal(label("netdev", "job"), "job");
    assert.equal(sel("run", "window_s", [{ label: "run_id", variable: "run" }]), 'eastwest_run_window_seconds{run_id=~"$run"}');
    assert.equal(sel("netdev", "rx_bytes_total", [{ label: "interface", eq: 'a"b' }]), 'eastwest_netdev_rx_bytes_total{job=~"$job", interface="a\\"b"}');
    assert.throws(() => rate("tcp_flow", "cwnd"), /not a counter/);
    assert.equal(storedScale("cpu", "busy_pct"), 100);
    assert.equal(storedScale("cost_breakdown", "copies_us"), 1e6);
    assert.equal(promOf("tcp_flow", "retrans_per_s", ["agent_id"]), 'sum by (agent_id) (rate(eastwest_tcp_flow_retrans_total{job=~"$job"}[$__rate_interval]))');
    assert.equal(promOf("tcp_flow", "delivery_rate_bits_per_s", ["agent_id"]), '8 * max by (agent_id) (eastwest_tcp_flow_delivery_rate_bytes_per_second{job=~"$job"})');
  });

  it("generates both languages of every dashboard, each with its data source variable and no fixed uid", async () => {
    const { renderDashboards } = await import("../../../grafana/src/dashboards.ts");
    const files = renderDashboards();
    assert.deepEqual([...files.keys()].sort(), ["fleet", "flow", "run", "vm"].flatMap((n) => [`${n}-prometheus.json`, `${n}.json`]).sort());
    for (const [file, text] of files) {
      const type = file.endsWith("-prometheus.json") ? "prometheus" : "influxdb";
      const d = JSON.parse(text) as { templating: { list: Array<{ type: string; query?: unknown }> } };
      assert.equal(d.templating.list[0]?.type, "datasource", file);
      assert.equal(d.templating.list[0]?.query, type, file);
      assert.doesNotMatch(text, /eastwest-influxdb|eastwest-prometheus"/, file);
    }
  });
});
