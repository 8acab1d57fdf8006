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
