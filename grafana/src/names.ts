// The dashboards take every measurement, tag and field name through these checks,
// so a name the schema (common/src/schema*) does not define fails generation
// instead of producing a panel that silently shows nothing.
import { EastwestError, measurement, type MeasurementDef } from "@eastwest/common";

/** A dashboard asked for a name the schema does not define. Thrown at generation time. */
export class SchemaNameError extends EastwestError {}

function def(name: string): MeasurementDef {
  const d = measurement(name);
  if (d === undefined) throw new SchemaNameError(`grafana: measurement "${name}" is not in the schema (common/src/schema*)`);
  return d;
}

/** The measurement name, checked. */
export function measurementName(name: string): string {
  def(name);
  return name;
}

/** A field of the measurement, checked. */
export function fieldName(m: string, field: string): string {
  if (!(field in def(m).fields)) throw new SchemaNameError(`grafana: "${m}" has no field "${field}" in the schema`);
  return field;
}

/** A tag of the measurement, checked. */
export function tagName(m: string, tag: string): string {
  if (!def(m).tags.includes(tag)) throw new SchemaNameError(`grafana: "${m}" has no tag "${tag}" in the schema`);
  return tag;
}

/** The schema type of a field ("float", "uint", "bool", ...), checked. */
export function fieldType(m: string, field: string): string {
  return def(m).fields[fieldName(m, field)] as string;
}
