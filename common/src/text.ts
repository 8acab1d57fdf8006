// Locale-independent number and name formatting. why: Intl (toLocaleString, Intl.Collator, Intl.NumberFormat)
// pages in ICU's data on first use: measured on a bare Node 24, one Intl.NumberFormat took the ICU pages resident
// from 0.4 to 4.6 MiB and one collator to 2.3 MiB, RSS an agent then carries for its whole life.

/** Integer with comma grouping: 128205.13 -> "128,205"; from 1e15 in exponent notation (digits no longer exact). */
export function fmtInt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  // why: above 2^53 the digits are not exact, and from 1e21 toString() switches to exponent notation.
  if (Math.abs(x) >= 1e15) return x.toExponential(2);
  const n = Math.round(x);
  const digits = Math.abs(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return n < 0 ? `-${digits}` : digits;
}

const RUNS = /\d+|\D+/g;

/** Compares two digit runs as whole numbers of any length: "9" < "10", "007" = "7". */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, "");
  const y = b.replace(/^0+(?=\d)/, "");
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Names in a natural order: runs of digits compare as numbers ("CPU 2/KVM" before "CPU 10/KVM"), the rest by
 * UTF-16 code unit; a name that is a prefix of another comes first; equal runs of different zero padding fall
 * back to the plain comparison, so the order is total.
 */
export function naturalCompare(a: string, b: string): number {
  const ra = a.match(RUNS) ?? [];
  const rb = b.match(RUNS) ?? [];
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i] as string;
    const y = rb[i] as string;
    if (x === y) continue;
    const dx = x.charCodeAt(0) <= 57 && x.charCodeAt(0) >= 48;
    const dy = y.charCodeAt(0) <= 57 && y.charCodeAt(0) >= 48;
    const c = dx && dy ? compareDigits(x, y) : x < y ? -1 : 1;
    if (c !== 0) return c;
  }
  if (ra.length !== rb.length) return ra.length - rb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
