// The last guard on every run result: no NaN or Infinity leaves correlate(). Pure except that it edits the
// value it is given, which must be freshly built (never an input).

/**
 * Replaces every non-finite number inside `value` (objects and arrays, recursively) with null and returns the
 * dotted paths it replaced. Correlation builds its figures finite already; a path here is a bug to report.
 */
export function scrubNonFinite(value: unknown, path = "result"): string[] {
  const hits: string[] = [];
  if (value === null || typeof value !== "object") return hits;
  const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, v] of entries) {
    const at = typeof key === "number" ? `${path}[${key}]` : `${path}.${key}`;
    if (typeof v === "number" && !Number.isFinite(v)) {
      (value as Record<string | number, unknown>)[key] = null;
      hits.push(at);
    } else if (v !== null && typeof v === "object") {
      hits.push(...scrubNonFinite(v, at));
    }
  }
  return hits;
}
