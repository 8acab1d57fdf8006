// The shape of a measurement definition; the per-producer tables in this folder and schema.ts use it.

export type FieldType = "float" | "int" | "uint" | "bool" | "string";

export interface MeasurementDef {
  /** What one point means, with its source. */
  doc: string;
  /** The complete tag set; every point carries exactly these keys (values may be ""). */
  tags: readonly string[];
  /** Known fields. Points may omit fields; they may not add unknown ones. */
  fields: Readonly<Record<string, FieldType>>;
}

export const NAME_RE = /^[a-z][a-z0-9_]{0,62}$/;
