// Reading per-sampler options (ctx.options) into typed values; every problem is reported, none thrown.
import type { SampleContext } from "../types.ts";

export type NameFilter = (name: string) => boolean;

export interface Parsed<T> {
  value: T;
  problems: string[];
}

/**
 * `interfaces`: a list of exact names, or "/regex/" entries matched against the whole name
 * (e.g. "/tap.*|vnet[0-9]+/"). Absent: undefined (the sampler's default).
 */
export function interfaceFilter(options: Readonly<Record<string, unknown>>): Parsed<NameFilter | undefined> {
  const raw = options["interfaces"];
  if (raw === undefined) return { value: undefined, problems: [] };
  if (!Array.isArray(raw) || raw.length === 0) {
    return { value: undefined, problems: ["interfaces: expected a non-empty list of names or \"/regex/\" strings"] };
  }
  const names = new Set<string>();
  const patterns: RegExp[] = [];
  const problems: string[] = [];
  raw.forEach((entry: unknown, i) => {
    if (typeof entry !== "string" || entry === "") problems.push(`interfaces[${i}]: expected a non-empty string`);
    else if (entry.length > 2 && entry.startsWith("/") && entry.endsWith("/")) {
      try {
        patterns.push(new RegExp(`^(?:${entry.slice(1, -1)})$`));
      } catch (err) {
        problems.push(`interfaces[${i}]: invalid regex ${entry}: ${(err as Error).message}`);
      }
    } else names.add(entry);
  });
  return { value: (name) => names.has(name) || patterns.some((re) => re.test(name)), problems };
}

/** An optional integer option within [min, max]. */
export function intOption(options: Readonly<Record<string, unknown>>, key: string, fallback: number, min: number, max: number): Parsed<number> {
  const raw = options[key];
  if (raw === undefined) return { value: fallback, problems: [] };
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < min || raw > max) {
    return { value: fallback, problems: [`${key}: expected an integer in ${min}..${max}, got ${JSON.stringify(raw)}`] };
  }
  return { value: raw, problems: [] };
}

/** Problems for option keys this sampler does not know. */
export function unknownKeys(options: Readonly<Record<string, unknown>>, known: readonly string[]): string[] {
  return Object.keys(options)
    .filter((k) => !known.includes(k))
    .map((k) => `${k}: unknown option (known: ${known.join(", ") || "none"})`);
}

/**
 * A sampler's options parser that parses each options object once: the scheduler hands every tick the same
 * object until setOptions replaces it. why: re-parsing (interface regexes, flow selectors) every tick was
 * waste at 10 Hz. A parse that throws is not remembered, so every tick reports it.
 */
export function perOptions<T>(parse: (ctx: SampleContext) => T): (ctx: SampleContext) => T {
  let last: { options: SampleContext["options"]; value: T } | undefined;
  return (ctx) => {
    if (last === undefined || last.options !== ctx.options) last = { options: ctx.options, value: parse(ctx) };
    return last.value;
  };
}
