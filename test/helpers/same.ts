// Deep equality of store answers with types: 1n is not 1, -0 is not 0; floats within a relative tolerance (0: exact)
// where two paths sum in another order (rollups, late points packed apart).
import assert from "node:assert/strict";

export function sameAnswer(a: unknown, b: unknown, where: string, tolerance = 0): void {
  if (typeof a === "number" && typeof b === "number") {
    const ok = Object.is(a, b) || (tolerance > 0 && !Object.is(a, -0) && !Object.is(b, -0) && Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b)));
    assert.ok(ok, `${where}: ${a} vs ${b}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${where}: length`);
    a.forEach((x, i) => sameAnswer(x, b[i], `${where}[${i}]`, tolerance));
  } else if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    assert.deepEqual(Object.keys(a), Object.keys(b), `${where}: keys`);
    for (const k of Object.keys(a)) sameAnswer((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${where}.${k}`, tolerance);
  } else assert.equal(a, b, where);
}
