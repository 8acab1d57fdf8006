// A calibration document as `eastwest calibrate --json` writes it ({ calibration: { constants, timeNs }, ... }),
// or a bare calibration ({ constants, timeNs }); and which model constants it sets. Pure: the caller reads the file.
import type { ModelConstants } from "./constants.ts";
import { calibrationLayer } from "./calibrated.ts";

export interface CalibrationConstantDoc {
  name: string;
  value: number;
  measured: boolean;
  method: string;
  detail: string;
}

export interface CalibrationDoc {
  constants: CalibrationConstantDoc[];
  /** When it was measured, epoch ns; null when the document does not say. */
  timeNs: bigint | null;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

function timeOf(x: unknown): bigint | null {
  if (typeof x === "bigint") return x;
  if (typeof x === "number" && Number.isSafeInteger(x) && x >= 0) return BigInt(x);
  return typeof x === "string" && /^\d{1,20}$/.test(x) ? BigInt(x) : null;
}

function constantOf(x: unknown, i: number): CalibrationConstantDoc | string {
  if (!isObj(x)) return `constants[${i}] is not a mapping`;
  const { name, value, measured } = x;
  if (typeof name !== "string" || name === "") return `constants[${i}].name must be a non-empty string`;
  if (typeof value !== "number" || !Number.isFinite(value)) return `constants[${i}] (${name}).value must be a finite number (got ${JSON.stringify(value) ?? "nothing"})`;
  if (typeof measured !== "boolean") return `constants[${i}] (${name}).measured must be true or false`;
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  return { name, value, measured, method: text(x["method"]), detail: text(x["detail"]) };
}

/** The calibration in `text` (JSON), or why it is not one. */
export function parseCalibrationDoc(text: string): { calibration: CalibrationDoc } | { problem: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { problem: `not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const cal = isObj(doc) && isObj(doc["calibration"]) ? doc["calibration"] : doc;
  if (!isObj(cal) || !Array.isArray(cal["constants"])) return { problem: "not a calibration: expected the output of 'eastwest calibrate --json' (a \"calibration\" with a \"constants\" list)" };
  const constants: CalibrationConstantDoc[] = [];
  for (const [i, c] of (cal["constants"] as unknown[]).entries()) {
    const r = constantOf(c, i);
    if (typeof r === "string") return { problem: r };
    constants.push(r);
  }
  if (constants.length === 0) return { problem: "the calibration has no constants" };
  return { calibration: { constants, timeNs: timeOf(cal["timeNs"] ?? cal["time_ns"]) } };
}

export interface CalibrationUse {
  /** Model constant -> the measured value taken from the calibration, with its method. */
  applied: Array<{ constant: keyof ModelConstants; value: number; method: string }>;
  /** Calibration constants the model did not take, and why. */
  ignored: Array<{ name: string; reason: string }>;
}

/** Which of the calibration's constants set a model constant (measured, in range), and why the others did not. */
export function calibrationUse(cal: CalibrationDoc): CalibrationUse {
  const layer = calibrationLayer(cal);
  const applied: CalibrationUse["applied"] = [];
  const ignored: CalibrationUse["ignored"] = [];
  for (const c of cal.constants) {
    const key = c.name as keyof ModelConstants;
    if (Object.hasOwn(layer, key)) applied.push({ constant: key, value: layer[key] as number, method: c.method });
    else if (!c.measured) ignored.push({ name: c.name, reason: `not measured${c.detail ? ` (${c.detail})` : ""}: the default is kept` });
    else if (c.name === "copy_us") ignored.push({ name: c.name, reason: "follows from copy_bytes_per_s: the model derives the copy cost from the bandwidth" });
    else ignored.push({ name: c.name, reason: ["copy_bytes_per_s", "syscall_us", "exit_us"].includes(c.name) ? `value ${c.value} out of range: the default is kept` : "not a model constant (informational)" });
  }
  return { applied, ignored };
}
