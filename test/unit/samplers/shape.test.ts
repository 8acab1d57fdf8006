// A /proc text read through the shape of an earlier read must give exactly what the full parser gives, and a text
// the full parser would read differently (or report) must not match.
import assert from "node:assert/strict";
import fc from "fast-check";
import { HEX, INT, REST, SKIP, SKIP_HEX, Shape, UINT, WORD, type Token } from "../../../agent/src/samplers/shared/shape.ts";
import { SeriesMemory } from "../../../agent/src/samplers/shared/series.ts";
import { RateMemory } from "../../../agent/src/samplers/shared/rates.ts";
import { parseProcStat, statShape, statValues, type StatValues } from "../../../agent/src/samplers/cpu/cpu.parse.ts";
import { netDevShape, netDevValues, parseNetDev, type NetDevValues } from "../../../agent/src/samplers/netdev/netdev.parse.ts";
import { parseSnmp, snmpShape, snmpValues, type SnmpValues } from "../../../agent/src/samplers/tcp/tcp.parse.ts";
import { parseSoftirqs, softirqShape, softirqValues, type SoftirqValues } from "../../../agent/src/samplers/softirqs/softirqs.parse.ts";
import { parseSoftnet, softnetShape, softnetShapeValues, softnetValues, type SoftnetValues } from "../../../agent/src/samplers/softnet/softnet.parse.ts";
import { SECOND, T0, fixture } from "./helpers.ts";

/** Tokens per line by kind letter: u UINT, i INT, h HEX, x SKIP_HEX, w WORD, r REST, s SKIP, else a literal. */
function shapeOf(text: string, ...lines: string[][]): Shape | undefined {
  const kinds: Record<string, number> = { u: UINT, i: INT, h: HEX, x: SKIP_HEX, w: WORD, r: REST, s: SKIP };
  return Shape.of(text, (_, i) => lines[i]?.map((t): Token => kinds[t] ?? t));
}

function read(shape: Shape | undefined, text: string): Array<bigint | undefined> | undefined {
  const out = new Array<bigint | undefined>(shape?.size ?? 0);
  return shape?.read(text, out) ? out : undefined;
}

describe("samplers/shared: Shape", () => {
  const text = "head: A  B\nrow: 1 -2 ff x 3\nrest: anything at all\n";
  const shape = shapeOf(text, ["head:", "A", "B"], ["row:", "u", "i", "h", "w", "x"], ["rest:", "r"]);

  it("reads the numbers of a text of the same shape, however wide", () => {
    assert.deepEqual(read(shape, text), [1n, -2n, 255n]);
    assert.deepEqual(read(shape, "head: A  B\nrow:   12345678901234567890 -0 fFfFfFfFfFfFfFfF y 0a   \nrest:\n"), [12345678901234567890n, 0n, 0xffffffffffffffffn]);
    assert.deepEqual(read(shape, "head: A  B\nrow: 7 8 9 z 1\nrest: x"), [7n, 8n, 9n], "no newline at the end");
  });

  it("does not match what the parsers would read another way", () => {
    const variants = [
      "head: A B\nrow: 1 -2 ff x 3\nrest: r\n", // a phrase's spacing
      "head: A  B\nrow: 1 -2 ff x\nrest: r\n", // a word fewer
      "head: A  B\nrow: 1 -2 ff x 3 4\nrest: r\n", // a word more
      "head: A  B\nrow: 1\t-2 ff x 3\nrest: r\n", // a tab
      "head: A  B\n\nrow: 1 -2 ff x 3\nrest: r\n", // a blank line
      "head: A  B\nrow: 1 -2 ff x 3\nrest: r\nmore: 1\n", // a line more
      "head: A  B\nrow: 1 -2 ff x 3\n", // a line fewer
      "head: A  B\nrow: 1a -2 ff x 3\nrest: r\n", // not a number
      "head: A  B\nrow: -1 -2 ff x 3\nrest: r\n", // not unsigned
      "head: A  B\nrow: 1 -2 fg x 3\nrest: r\n", // not hexadecimal
      "head: A  B\nrow: 1 -2 ff x g\nrest: r\n", // not hexadecimal (skipped)
      "head: A  B\nrow: 1 -2 ff x 3\nrest: r\r\n", // \r: a regex `.` stops there
      "head: A  Bc\nrow: 1 -2 ff x 3\nrest: r\n", // a longer word
    ];
    for (const v of variants) assert.equal(read(shape, v), undefined, JSON.stringify(v));
  });

  it("has no shape for text with other whitespace or a line it cannot describe", () => {
    assert.equal(shapeOf("a\tb\n", ["a\tb"]), undefined);
    assert.equal(shapeOf("a 1\n", ["a", "u", "u"]), undefined);
    assert.equal(Shape.of("a 1\n", () => undefined), undefined);
  });
});

describe("samplers/shared: SeriesMemory follows RateMemory", () => {
  it("same deltas and rates for the same reads, resets, clock steps and sweeps", () => {
    const read = fc.array(fc.option(fc.bigInt({ min: -1n, max: (1n << 33n) }), { nil: undefined }), { minLength: 3, maxLength: 3 });
    const tick = fc.record({ series: fc.constantFrom("a", "b"), dtS: fc.integer({ min: -1, max: 2 }), values: read, sweep: fc.boolean() });
    fc.assert(
      fc.property(fc.constantFrom(32 as const, 64 as const), fc.array(tick, { maxLength: 12 }), (bits, ticks) => {
        const names = ["x", "y", "z"];
        const byName = new RateMemory(bits);
        const byPosition = new SeriesMemory(bits, 3);
        let now = T0;
        for (const t of ticks) {
          now += BigInt(t.dtS) * SECOND;
          const counters: Record<string, bigint> = {};
          t.values.forEach((v, i) => v !== undefined && (counters[names[i] as string] = v));
          const interval = byName.step(t.series, now, counters);
          const s = byPosition.get(t.series);
          t.values.forEach((v, i) => (s.values[i] = v));
          byPosition.step(s, now);
          assert.equal(s.hasInterval, interval !== undefined);
          if (interval !== undefined) assert.equal(s.dtNs, interval.dtNs);
          names.forEach((n, i) => assert.equal(s.deltas[i], interval?.deltas[n]));
          if (t.sweep) (byName.sweep(), byPosition.sweep());
          assert.equal(byPosition.size, byName.size);
        }
      }),
      { numRuns: 500 },
    );
  });
});

/** A text edited at random: mostly numbers changed (as between two reads), sometimes its shape broken. */
function edited(text: string): fc.Arbitrary<string> {
  const edit = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.nat(), fc.constantFrom("0", "7", "12", "99999", "123456789012345678", "ff", "-1")).map(([at, digits]) => (t: string) => {
      const m = [...t.matchAll(/[0-9a-f]+/g)];
      const hit = m[at % Math.max(m.length, 1)];
      return hit === undefined ? t : t.slice(0, hit.index) + digits + t.slice((hit.index as number) + hit[0].length);
    }) },
    { weight: 2, arbitrary: fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(" ", "\t", "\r", "\u00a0", "x", "-")).map(([at, within, c]) => (t: string) => {
      const m = [...t.matchAll(/[0-9a-f]+/g)];
      const hit = m[at % Math.max(m.length, 1)];
      if (hit === undefined) return t;
      const cut = (hit.index as number) + (within % (hit[0].length + 1));
      return t.slice(0, cut) + c + t.slice(cut);
    }) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom(" ", "\t", "\n", "\r", "x", ":", "|", "-", "")).map(([at, s]) => (t: string) => t.slice(0, at % (t.length + 1)) + s + t.slice(at % (t.length + 1))) },
    { weight: 1, arbitrary: fc.nat().map((at) => (t: string) => t.slice(0, at % (t.length + 1)) + t.slice((at % (t.length + 1)) + 1)) },
    { weight: 1, arbitrary: fc.nat().map((at) => (t: string) => t.slice(0, at % (t.length + 1))) },
  );
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => edits.reduce((t, e) => e(t), text));
}

/** Whenever a shape built from `base` matches an edited text, the full parse of it is clean and the same. */
function sameAsFullParse<T>(base: string, viaShape: (text: string) => T | undefined, full: (text: string) => { value: T; errors: string[] }): void {
  let matched = 0;
  fc.assert(
    fc.property(edited(base), (text) => {
      const fast = viaShape(text);
      if (fast === undefined) return;
      matched++;
      const parsed = full(text);
      assert.deepEqual(parsed.errors, []);
      assert.deepEqual(fast, parsed.value);
    }),
    { numRuns: 1500 },
  );
  assert.ok(matched > 100, `only ${matched} edited texts matched the shape`);
}

describe("a read through a shape is the full parse", () => {
  const t0 = (rel: string) => fixture("proc", "live-t0", rel);

  it("/proc/stat", () => {
    const known = statShape(t0("stat"));
    /** Per cpu line its ticks by state, then the kernel values by key: the two forms lay values out differently. */
    const normal = ({ layout, values }: StatValues) => ({
      cpus: layout.cpus.map((cpu, r) => [cpu, Array.from({ length: 10 }, (_, i) => (i < (layout.columns[r] as number) ? values[(layout.first[r] as number) + i] : undefined))]),
      kernel: layout.kernel.map((at) => (at < 0 ? undefined : values[at])),
    });
    sameAsFullParse(
      t0("stat"),
      (text) => (known?.shape.read(text, []) ? normal({ layout: known.layout, values: read(known.shape, text) ?? [] }) : undefined),
      (text) => {
        const stat = parseProcStat(text);
        return { value: normal(statValues(stat)), errors: stat.errors };
      },
    );
  });

  it("/proc/net/dev", () => {
    const known = netDevShape(t0("net/dev"));
    sameAsFullParse<NetDevValues>(
      t0("net/dev"),
      (text) => {
        const values = read(known?.shape, text);
        return values && known ? { interfaces: known.interfaces, values } : undefined;
      },
      (text) => {
        const dev = parseNetDev(text);
        return { value: netDevValues(dev), errors: dev.errors };
      },
    );
  });

  for (const rel of ["net/snmp", "net/netstat"]) {
    it(`/proc/${rel} with the counters wanted`, () => {
      const wanted = new Map([["Tcp", new Set(["InSegs", "MaxConn"])], ["TcpExt", new Set(["DelayedACKs", "TCPOrigDataSent"])], ["IpExt", new Set(["InOctets"])]]);
      const known = snmpShape(t0(rel), wanted);
      /** Group -> name -> value. */
      const byName = (v: Omit<SnmpValues, "errors">) => new Map([...v.positions].map(([g, at]) => [g, new Map([...at].map(([n, i]) => [n, v.values[i]]))]));
      sameAsFullParse(
        t0(rel),
        (text) => {
          const values = read(known?.shape, text);
          return values && known ? byName({ positions: known.positions, values }) : undefined;
        },
        (text) => {
          const parsed = parseSnmp(text, rel, wanted);
          return { value: byName(snmpValues(parsed)), errors: parsed.errors };
        },
      );
    });
  }

  it("/proc/softirqs", () => {
    const known = softirqShape(t0("softirqs"));
    sameAsFullParse<SoftirqValues>(
      t0("softirqs"),
      (text) => {
        const values = read(known?.shape, text);
        return values && known ? { cpus: known.cpus, names: known.names, values } : undefined;
      },
      (text) => {
        const parsed = parseSoftirqs(text);
        return { value: softirqValues(parsed), errors: parsed.errors };
      },
    );
  });

  it("/proc/net/softnet_stat", () => {
    const known = softnetShape(t0("net/softnet_stat"));
    sameAsFullParse<SoftnetValues>(
      t0("net/softnet_stat"),
      (text) => {
        const values = read(known?.shape, text);
        if (values === undefined || known === undefined) return undefined;
        const out: SoftnetValues = { cpus: [], values: [] };
        softnetShapeValues(known.read, values, out);
        return out;
      },
      (text) => {
        const parsed = parseSoftnet(text);
        return { value: softnetValues(parsed), errors: parsed.errors };
      },
    );
  });
});
