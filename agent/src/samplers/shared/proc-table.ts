// procTableSampler: the skeleton every /proc table sampler (cpu, netdev, tcp, softirqs, softnet) shares, so each is
// its parser plus a short declaration. Contract of the sampler it makes:
// - options: `options.keys` are the known keys, `options.parse` reads them; every problem (unknown keys first) is
//   reported at once as a ConfigError "<name>: <problem>", by init() and by each tick; each options object is parsed
//   once (perOptions);
// - init() checks the options and probes that each of `files` (under /proc) is readable;
// - capture() reads `files` in order (captureProc), decode() turns a capture into points, sample() is both;
// - the per-instance state (counter memory, tag cache, layout cache) lives in what `decoder()` returns.
// Helpers for the decoders: LayoutCache (the layout fast path) and addTotals/addSeriesRates (counters -> fields).
import { ConfigError, type FieldValue } from "@eastwest/common";
import type { Captured, SampleContext, SampleResult, Sampler, SamplerFactory } from "../types.ts";
import { perOptions, unknownKeys, type Parsed } from "./options.ts";
import type { CounterSeries } from "./series.ts";
import type { Shape } from "./shape.ts";
import { captureProc, probeProc, type CapturedProc } from "./sources.ts";

/** Decodes one capture (its texts: capturedText(c, i)) with the tick's parsed options. */
export type TableDecoder<O> = (c: Captured, ctx: SampleContext, options: O) => SampleResult;

export interface ProcTableSpec<O> {
  readonly name: string;
  /** Files under /proc, read by each capture in this order. */
  readonly files: readonly string[];
  /** Known option keys and their parser; absent: the sampler takes no option. */
  readonly options?: { readonly keys: readonly string[]; parse(options: Readonly<Record<string, unknown>>): Parsed<O> };
  /** Called once per sampler instance: its decoder, holding the instance's state. */
  decoder(): TableDecoder<O>;
}

export function procTableSampler<O = undefined>(spec: ProcTableSpec<O>): SamplerFactory {
  const { name, files } = spec;
  const options = perOptions((ctx: SampleContext): O => {
    const parsed = spec.options?.parse(ctx.options);
    const problems = [...unknownKeys(ctx.options, spec.options?.keys ?? []), ...(parsed?.problems ?? [])].map((p) => `${name}: ${p}`);
    if (problems.length > 0) throw new ConfigError(problems);
    return parsed?.value as O;
  });
  return (): Sampler => {
    const decodeWith = spec.decoder();
    const capture = (ctx: SampleContext): Promise<CapturedProc> => captureProc(ctx, ...files);
    const decode = async (c: Captured, ctx: SampleContext): Promise<SampleResult> => decodeWith(c, ctx, options(ctx));
    return {
      name,
      defaultIntervalMs: 1000,
      async init(ctx) {
        options(ctx);
        return probeProc(ctx, ...files);
      },
      async sample(ctx) {
        return decode(await capture(ctx), ctx);
      },
      capture,
      decode,
    };
  };
}

/** One read of a table by position: its layout, the values in layout order, and what did not parse. */
export interface TableRead<L> {
  layout: L;
  values: ReadonlyArray<bigint | undefined>;
  errors: string[];
}

/**
 * The layout fast path: while a text keeps the layout of the last clean parse, its Shape reads the values by
 * position (no lines, words or regular expressions); else `parse` reads it in full, and a clean parse's `shape`
 * becomes the new fast path. Fast-path reads share one values array, overwritten by the next read.
 */
export class LayoutCache<L> {
  readonly #parse: (text: string) => TableRead<L>;
  readonly #shape: (text: string) => { shape: Shape; layout: L } | undefined;
  #known: { shape: Shape; layout: L } | undefined;
  readonly #read: Array<bigint | undefined> = [];

  /** `shape` is called only with a text `parse` read without errors. */
  constructor(parse: (text: string) => TableRead<L>, shape: (text: string) => { shape: Shape; layout: L } | undefined) {
    this.#parse = parse;
    this.#shape = shape;
  }

  read(text: string): TableRead<L> {
    const known = this.#known;
    if (known !== undefined && known.shape.read(text, this.#read)) return { layout: known.layout, values: this.#read, errors: [] };
    const full = this.#parse(text);
    this.#known = full.errors.length === 0 ? this.#shape(text) : undefined;
    return full;
  }
}

/** `fields[totals[i]] = values[i]` for i < totals.length, where present: the `<counter>_total` fields. */
export function addTotals(fields: Record<string, FieldValue>, values: ReadonlyArray<bigint | undefined>, totals: readonly string[]): void {
  for (let i = 0; i < totals.length; i++) {
    const v = values[i];
    if (v !== undefined) fields[totals[i] as string] = v;
  }
}

/** [counter position, field] pairs: per-second rates of a series' counters. */
export type SeriesRates = ReadonlyArray<readonly [number, string]>;

/** The per-second rate of each counter over the series' last interval, where it has one (`<counter>_per_s`). */
export function addSeriesRates(fields: Record<string, FieldValue>, s: CounterSeries, rates: SeriesRates): void {
  for (const [i, field] of rates) {
    const perS = s.perSecond(i);
    if (perS !== undefined) fields[field] = perS;
  }
}
