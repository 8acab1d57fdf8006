// The one place measurement, tag and field names live. Shared by the agent
// (what it emits), the collector (what it validates and stores) and grafana/.
//
// Rules (InfluxDB 3 compatible): snake_case names; units in the suffix
// (_bytes, _ns, _total, _per_s, _pct); a fixed tag set per measurement;
// a tag never shares a name with a field; bounded cardinality (no per-socket
// tags outside campaign flows: tcp_flow is only emitted for selected flows).

import { NAME_RE, type MeasurementDef } from "./schema/types.ts";

export { NAME_RE, type FieldType, type MeasurementDef } from "./schema/types.ts";

import { SAMPLER_MEASUREMENTS } from "./schema/samplers.ts";
import { SELF_MEASUREMENTS } from "./schema/self.ts";
import { RUN_MEASUREMENTS } from "./schema/runs.ts";
import { PERF_MEASUREMENTS } from "./schema/perf.ts";
import { VM_MEASUREMENTS } from "./schema/vm.ts";

// One static table, assembled from per-producer files in ./schema/ so each
// producer's names sit together; checked once at load.
const registry: ReadonlyMap<string, MeasurementDef> = build([SAMPLER_MEASUREMENTS, VM_MEASUREMENTS, SELF_MEASUREMENTS, RUN_MEASUREMENTS, PERF_MEASUREMENTS]);

export function measurement(name: string): MeasurementDef | undefined {
  return registry.get(name);
}

export function allMeasurements(): ReadonlyMap<string, MeasurementDef> {
  return registry;
}

function build(groups: Record<string, MeasurementDef>[]): Map<string, MeasurementDef> {
  const out = new Map<string, MeasurementDef>();
  for (const group of groups) {
    for (const [name, def] of Object.entries(group)) {
      const problems = checkDef(name, def);
      if (out.has(name)) problems.push("defined twice");
      if (problems.length > 0) throw new Error(`schema ${name}: ${problems.join("; ")}`);
      out.set(name, def);
    }
  }
  return out;
}

export function checkDef(name: string, def: MeasurementDef): string[] {
  const problems: string[] = [];
  if (!NAME_RE.test(name)) problems.push(`measurement name must be snake_case`);
  for (const t of def.tags) {
    if (!NAME_RE.test(t)) problems.push(`tag ${t} must be snake_case`);
    if (t in def.fields) problems.push(`tag ${t} shares a name with a field`);
  }
  for (const f of Object.keys(def.fields)) if (!NAME_RE.test(f)) problems.push(`field ${f} must be snake_case`);
  return problems;
}
