// JSON that keeps 64-bit integers exact, both ways.
//
// stringifyExact writes a bigint as a bare JSON number with all its digits
// (2^63-1 -> 9223372036854775807); non-finite numbers become null, as in JSON.stringify.
// parseExact reads integers outside the safe range (|n| > 2^53-1) as bigint; every
// other value as JSON.parse does.

// why: JSON.rawJSON and the reviver's source context (ES2025, V8 >= 11.4) are
// in Node >= 21 but not yet in TypeScript's ES2023 lib.
interface RawJsonApi {
  rawJSON(text: string): unknown;
}
type SourceReviver = (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown;
type ParseWithSource = (text: string, reviver: SourceReviver) => unknown;

const rawJSON = (JSON as unknown as RawJsonApi).rawJSON;
const parseWithSource = JSON.parse as unknown as ParseWithSource;
const INTEGER_RE = /^-?\d+$/;

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? rawJSON(value.toString()) : value;
}

/** JSON text of value; bigints exact. Throws only on cycles, like JSON.stringify. */
export function stringifyExact(value: unknown, indent?: number): string {
  return JSON.stringify(value, bigintReplacer, indent) ?? "null";
}

function unsafeIntegerReviver(_key: string, value: unknown, context: { source?: string }): unknown {
  if (typeof value === "number" && !Number.isSafeInteger(value) && context.source !== undefined) {
    if (INTEGER_RE.test(context.source)) return BigInt(context.source);
  }
  return value;
}

/** Parses JSON text; integers beyond +-(2^53-1) come back as bigint. Throws SyntaxError. */
export function parseExact(text: string): unknown {
  return parseWithSource(text, unsafeIntegerReviver);
}

/**
 * Parses JSON text written by a type-preserving encoder (see fields.ts): every
 * number written without '.', 'e' or 'E' is an integer and comes back as bigint.
 */
export function parseTyped(text: string): unknown {
  return parseWithSource(text, typedReviver);
}

function typedReviver(_key: string, value: unknown, context: { source?: string }): unknown {
  if (typeof value === "number" && context.source !== undefined && INTEGER_RE.test(context.source)) {
    return BigInt(context.source);
  }
  return value;
}
