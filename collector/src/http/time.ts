// Time and duration parameters of the HTTP API. Pure; results in nanoseconds.
//
// A time is one of:
//   RFC 3339            2025-01-02T03:04:05.123456789Z, 2025-01-02T05:04:05+02:00
//   epoch nanoseconds   1735787045123456789
//   relative to now     now, -5m, now-5m, now+1h30m
// A duration is a sequence of <integer><unit> with unit ns, us, ms, s, m, h, d, w
// (1h30m), or bare digits meaning nanoseconds.
import { INT64_MAX, INT64_MIN } from "../store/codec.ts";

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

const DURATION_RE = /^(?:\d+(?:ns|us|ms|s|m|h|d|w))+$/;
const DURATION_PART_RE = /(\d+)(ns|us|ms|s|m|h|d|w)/g;
const RELATIVE_RE = /^(?:now)?([+-])(.+)$/;
const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;
const DURATION_HELP = "a duration such as 500ms, 10s, 5m, 1h30m (units ns, us, ms, s, m, h, d, w)";
const TIME_HELP = "an RFC 3339 time, epoch nanoseconds, now, or a relative time such as -5m or now-1h";

/** Parses a non-negative duration. */
export function parseDurationNs(text: string): Parsed<bigint> {
  if (/^\d+$/.test(text)) return inInt64(BigInt(text), text);
  if (!DURATION_RE.test(text)) return { ok: false, error: `"${text}" is not ${DURATION_HELP}` };
  let total = 0n;
  for (const m of text.matchAll(DURATION_PART_RE)) total += BigInt(m[1] as string) * (UNIT_NS[m[2] as string] as bigint);
  return inInt64(total, text);
}

/** Parses a point in time; relative forms are taken from nowNs. */
export function parseTimeNs(text: string, nowNs: bigint): Parsed<bigint> {
  if (text === "now") return { ok: true, value: nowNs };
  if (/^-?\d+$/.test(text)) return inInt64(BigInt(text), text);
  const rel = RELATIVE_RE.exec(text);
  if (rel !== null) {
    const d = parseDurationNs(rel[2] as string);
    if (!d.ok) return { ok: false, error: `"${text}" is not ${TIME_HELP}` };
    return inInt64(rel[1] === "-" ? nowNs - d.value : nowNs + d.value, text);
  }
  const rfc = parseRfc3339Ns(text);
  return rfc ?? { ok: false, error: `"${text}" is not ${TIME_HELP}` };
}

/** undefined: not RFC 3339 syntax at all; an error: RFC 3339 syntax with an impossible date or time. */
export function parseRfc3339Ns(text: string): Parsed<bigint> | undefined {
  const m = RFC3339_RE.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const invalid = checkCalendar(year, month, day, hour, minute, second);
  if (invalid !== undefined) return { ok: false, error: `"${text}": ${invalid}` };
  const offset = parseOffsetMinutes(m[8] as string);
  if (offset === undefined) return { ok: false, error: `"${text}": bad UTC offset` };
  const ms = utcMs(year, month, day, hour, minute, second) - offset * 60_000;
  const fraction = BigInt(((m[7] ?? "") + "000000000").slice(0, 9));
  return inInt64(BigInt(ms) * 1_000_000n + fraction, text);
}

/** Like Date.UTC, without its mapping of years 0-99 to 1900-1999. */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s));
  date.setUTCFullYear(y, mo - 1, d);
  return date.getTime();
}

function checkCalendar(y: number, mo: number, d: number, h: number, mi: number, s: number): string | undefined {
  if (mo < 1 || mo > 12) return "month out of range";
  const days = daysInMonth(y, mo);
  if (d < 1 || d > days) return "day out of range";
  if (h > 23 || mi > 59 || s > 59) return "time of day out of range";
  return undefined;
}

function daysInMonth(y: number, mo: number): number {
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1] as number;
}

function parseOffsetMinutes(tz: string): number | undefined {
  if (tz === "Z" || tz === "z") return 0;
  const hours = Number(tz.slice(1, 3));
  const minutes = Number(tz.slice(4, 6));
  if (hours > 23 || minutes > 59) return undefined;
  return (tz[0] === "-" ? -1 : 1) * (hours * 60 + minutes);
}

function inInt64(value: bigint, text: string): Parsed<bigint> {
  if (value < INT64_MIN || value > INT64_MAX) return { ok: false, error: `"${text}" is out of the 64-bit nanosecond range` };
  return { ok: true, value };
}
