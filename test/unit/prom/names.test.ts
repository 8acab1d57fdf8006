// The Prometheus names of the schema (common/src/prom/names.ts): the real schema's table, and properties over
// random schemas.
import assert from "node:assert/strict";
import fc from "fast-check";
import { allMeasurements, NAME_RE, type FieldType, type MeasurementDef } from "@eastwest/common";
import { buildFamilies, familyOf, METRIC_NAME_RE, type Family } from "@eastwest/common/prom";

const table = buildFamilies(allMeasurements());

function fam(measurement: string, field: string): Family {
  const f = table.byMeasurement.get(measurement)?.get(field);
  assert.ok(f, `${measurement}.${field} has no family: ${JSON.stringify(table.skipped.find((s) => s.measurement === measurement && s.field === field))}`);
  return f;
}

describe("prom names: the schema's table", () => {
  it("has no collisions or invalid names", () => {
    assert.deepEqual(table.problems, []);
    const names = new Set<string>();
    for (const fields of table.byMeasurement.values())
      for (const f of fields.values()) {
        assert.match(f.name, METRIC_NAME_RE);
        assert.ok(!names.has(f.name), f.name);
        names.add(f.name);
      }
    assert.ok(names.size > 300, `only ${names.size} families`);
  });

  it("maps names, types and units as documented", () => {
    const cases: Array<[string, string, string, string, number]> = [
      ["netdev", "rx_bytes_total", "eastwest_netdev_rx_bytes_total", "counter", 1],
      ["cpu", "user_ns_total", "eastwest_cpu_user_seconds_total", "counter", 1e-9],
      ["cpu", "busy_pct", "eastwest_cpu_busy_ratio", "gauge", 0.01],
      ["tcp_flow", "rtt_ns", "eastwest_tcp_flow_rtt_seconds", "gauge", 1e-9],
      ["tcp_flow", "delivery_rate_bits_per_s", "eastwest_tcp_flow_delivery_rate_bytes_per_second", "gauge", 1 / 8],
      ["tcp_flow", "app_limited", "eastwest_tcp_flow_app_limited", "gauge", 1],
      ["vm_kvm", "exits_total", "eastwest_vm_kvm_exits_total", "counter", 1],
      ["vcpu_kvm", "halt_wait_ns_total", "eastwest_vcpu_kvm_halt_wait_seconds_total", "counter", 1e-9],
      ["eastwest_agent", "rss_bytes", "eastwest_agent_rss_bytes", "gauge", 1],
      ["eastwest_sampler", "interval_ms", "eastwest_sampler_interval_seconds", "gauge", 1e-3],
      ["pmu", "cycles_count", "eastwest_pmu_cycles", "gauge", 1],
      ["cost_breakdown", "unexplained_us", "eastwest_cost_breakdown_unexplained_seconds", "gauge", 1e-6],
      ["run", "ceiling_gbit_s", "eastwest_run_ceiling_bytes_per_second", "gauge", 1e9 / 8],
      ["netstate_stack", "busy_poll_us", "eastwest_netstate_stack_busy_poll_seconds", "gauge", 1e-6],
    ];
    for (const [m, field, name, type, scale] of cases) {
      const f = fam(m, field);
      assert.deepEqual([f.name, f.type, f.scale], [name, type, scale], `${m}.${field}`);
    }
    assert.equal(fam("netdev", "rx_bytes_total").omName, "eastwest_netdev_rx_bytes");
  });

  it("leaves out rates and interval changes derived from a counter, and only those", () => {
    const skipped = new Map(table.skipped.map((s) => [`${s.measurement}.${s.field}`, s.reason]));
    assert.match(skipped.get("netdev.rx_bytes_per_s") ?? "", /rate of rx_bytes_total/);
    assert.match(skipped.get("kvm_exits.exits") ?? "", /change of exits_total/);
    for (const [key, reason] of skipped) {
      const [m, field] = key.split(".") as [string, string];
      const def = allMeasurements().get(m) as MeasurementDef;
      const counter = field.endsWith("_per_s") ? `${field.slice(0, -6)}_total` : `${field}_total`;
      assert.ok(counter in def.fields, `${key} skipped without its counter: ${reason}`);
    }
    assert.ok(!skipped.has("membw.read_bytes_per_s"), "a rate without a counter stays");
  });

  it("gives every family a HELP naming its field, and no gauge a reserved suffix", () => {
    for (const fields of table.byMeasurement.values())
      for (const f of fields.values()) {
        assert.ok(f.help.startsWith(`${f.measurement}.${f.field}: `), f.help);
        if (f.type === "gauge") assert.doesNotMatch(f.name, /_(total|count|sum|bucket|created|info)$/);
        else assert.match(f.name, /_total$/);
      }
  });
});

const name = fc.stringMatching(NAME_RE);
const fieldType = fc.constantFrom<FieldType>("uint", "int", "float", "bool", "string");
const schema = fc.dictionary(
  name,
  fc.record({ doc: fc.string(), tags: fc.uniqueArray(name, { maxLength: 4 }), fields: fc.dictionary(name, fieldType, { maxKeys: 12 }) }),
  { maxKeys: 8 },
);

describe("prom names: any schema", () => {
  it("gives valid, unique names (collisions left out and reported)", () => {
    fc.assert(
      fc.property(schema, (s) => {
        const registry = new Map(Object.entries(s).map(([m, d]) => [m, { ...d, fields: Object.fromEntries(Object.entries(d.fields).filter(([f]) => !d.tags.includes(f))) }]));
        const t = buildFamilies(registry);
        const seen = new Set<string>();
        for (const fields of t.byMeasurement.values())
          for (const f of fields.values()) {
            const names = f.type === "counter" ? [f.name, f.omName, `${f.omName}_created`] : [f.name];
            for (const n of names) {
              assert.match(n, METRIC_NAME_RE);
              assert.ok(!seen.has(n), `${n} twice`);
              seen.add(n);
            }
            assert.ok(Number.isFinite(f.scale) && f.scale > 0);
          }
        for (const [m, d] of registry)
          for (const field of Object.keys(d.fields)) {
            const has = t.byMeasurement.get(m)?.has(field) ?? false;
            const skip = t.skipped.some((x) => x.measurement === m && x.field === field);
            assert.ok(has !== skip, `${m}.${field}: exactly one of family or skipped`);
          }
      }),
      { numRuns: 300 },
    );
  });

  it("never maps a string field", () => {
    const def: MeasurementDef = { doc: "d", tags: [], fields: { label: "string", n: "uint" } };
    assert.deepEqual(familyOf("m", def, "label"), { skip: "string field (not a number)" });
  });
});
