// Microseconds as the cost tables print them (shared by the pure model and its formatting).

/** Microseconds: 2 decimals, trailing zero trimmed to one ("1.2", "0.11", "7.8"); below 0.1, 2 significant digits. */
export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return String(us);
  if (us !== 0 && Math.abs(us) < 0.1) return `${Number(us.toPrecision(2))}`;
  const s = us.toFixed(2);
  return s.endsWith("0") ? s.slice(0, -1) : s;
}
