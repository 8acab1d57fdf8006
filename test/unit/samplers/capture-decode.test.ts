// The split tick of the /proc samplers (cpu, netdev, tcp, softirqs, softnet): sample(ctx) must equal
// decode(await capture(ctx), ctx), also when every capture is made first and decoded later (a hold), as long as the
// captures are decoded in tick order (rates come from the previous decode).
import assert from "node:assert/strict";
import { UnavailableError, errorMessage, nowNs, type Sample } from "@eastwest/common";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { cpuSampler } from "../../../agent/src/samplers/cpu/cpu.sampler.ts";
import { netdevSampler } from "../../../agent/src/samplers/netdev/netdev.sampler.ts";
import { tcpSampler } from "../../../agent/src/samplers/tcp/tcp.sampler.ts";
import { softirqsSampler } from "../../../agent/src/samplers/softirqs/softirqs.sampler.ts";
import { softnetSampler } from "../../../agent/src/samplers/softnet/softnet.sampler.ts";
import { captureProc, capturedText, type CapturedProc } from "../../../agent/src/samplers/shared/sources.ts";
import type { Captured, SampleContext, SampleResult, Sampler, SamplerFactory } from "../../../agent/src/samplers/types.ts";
import { SECOND, T0, ctx, fixture, mapFs } from "./helpers.ts";

/** Every decimal number standing alone (not "-1", not "cpu0") raised by k times a per-position step. */
function bump(text: string, k: number): string {
  let i = 0;
  return text.replace(/(?<=^|[ \t:])\d+(?=[ \t]|$)/gm, (m) => String(BigInt(m) + BigInt(k * 997 * (1 + (i++ % 5)))));
}

/** softnet_stat's %08x counters raised like bump's. */
function bumpHex(text: string, k: number): string {
  let i = 0;
  return text.replace(/\b[0-9a-f]{8}\b/g, (m) => (parseInt(m, 16) + k * 97 * (1 + (i++ % 3))).toString(16).padStart(8, "0"));
}

const live = (tick: 0 | 1, rel: string): string => fixture("proc", `live-t${tick}`, ...rel.split("/"));
const variant = (rel: string): string => fixture("proc", "variants", ...rel.split("/"));

interface Case {
  factory: SamplerFactory;
  /** The /proc files one tick reads, in capture order. */
  rels: string[];
  /** Each tick's files: clean reads that grow (rates), a truncated read (errors), garbage (a throw), a reset. */
  ticks: () => Array<Record<string, string>>;
}

/** Ticks of a sampler reading one file: t0, t1, t1 grown twice, `odd` variants, t1 grown again, t0 (a reset). */
function oneFile(rel: string, odd: string[], grow: (text: string, k: number) => string = bump): () => Array<Record<string, string>> {
  return () => {
    const t1 = live(1, rel);
    const texts = [live(0, rel), t1, grow(t1, 1), grow(t1, 2), ...odd.map(variant), grow(t1, 3), grow(t1, 4), live(0, rel)];
    return texts.map((text) => ({ [rel]: text }));
  };
}

const CASES: Record<string, Case> = {
  cpu: { factory: cpuSampler, rels: ["stat"], ticks: oneFile("stat", ["stat-truncated", "stat-2.6.18", "stat-garbage"]) },
  netdev: { factory: netdevSampler, rels: ["net/dev"], ticks: oneFile("net/dev", ["net/dev-truncated", "net/dev-garbage"]) },
  tcp: {
    factory: tcpSampler,
    rels: ["net/snmp", "net/netstat"],
    ticks: () => {
      const [snmp, netstat] = [live(1, "net/snmp"), live(1, "net/netstat")];
      const tick = (s: string, n: string) => ({ "net/snmp": s, "net/netstat": n });
      return [
        tick(live(0, "net/snmp"), live(0, "net/netstat")),
        tick(snmp, netstat),
        tick(bump(snmp, 1), bump(netstat, 1)),
        tick(bump(snmp, 2), bump(netstat, 2)),
        tick(variant("net/snmp-truncated"), bump(netstat, 3)),
        tick(variant("net/snmp-garbage"), bump(netstat, 3)),
        tick(bump(snmp, 3), bump(netstat, 4)),
        tick(bump(snmp, 4), bump(netstat, 5)),
        tick(live(0, "net/snmp"), live(0, "net/netstat")),
      ];
    },
  },
  softirqs: { factory: softirqsSampler, rels: ["softirqs"], ticks: oneFile("softirqs", ["softirqs-truncated", "softirqs-garbage"]) },
  softnet: {
    factory: softnetSampler,
    rels: ["net/softnet_stat"],
    ticks: oneFile("net/softnet_stat", ["net/softnet_stat-truncated", "net/softnet_stat-4.4", "net/softnet_stat-5.10", "net/softnet_stat-garbage"], bumpHex),
  },
};

/** A tick's result, or the error it threw (its class and message). */
type Outcome = SampleResult | { threw: string };

async function outcome(result: () => Promise<SampleResult>): Promise<Outcome> {
  try {
    return await result();
  } catch (err) {
    return { threw: `${(err as Error).constructor.name}: ${errorMessage(err)}` };
  }
}

/** Tick i's context over its files: ticks 1 s apart and a little more each time (uneven intervals). */
function tickCtx(files: Record<string, string>, i: number): SampleContext {
  return ctx(mapFs(files), T0 + BigInt(i) * SECOND + BigInt(i * i) * 1_000_000n);
}

function split(s: Sampler): Required<Pick<Sampler, "capture" | "decode">> {
  assert.ok(s.capture !== undefined && s.decode !== undefined, `${s.name} splits its tick`);
  return { capture: s.capture, decode: s.decode };
}

/** The ticks through sample(), on a fresh sampler. */
async function sampled(c: Case): Promise<Outcome[]> {
  const s = c.factory();
  const out: Outcome[] = [];
  for (const [i, files] of c.ticks().entries()) out.push(await outcome(() => s.sample(tickCtx(files, i))));
  return out;
}

const isResult = (o: Outcome): o is SampleResult => !("threw" in o);
const fieldNames = (outs: readonly Outcome[]): Set<string> => new Set(outs.filter(isResult).flatMap((o) => o.points.flatMap((p: Sample) => Object.keys(p.fields))));

for (const [name, c] of Object.entries(CASES)) {
  describe(`${name}: capture and decode`, () => {
    it("sample(ctx) and decode(await capture(ctx), ctx) give the same points and errors, tick by tick", async () => {
      const expected = await sampled(c);
      const s = split(c.factory());
      const got: Outcome[] = [];
      for (const [i, files] of c.ticks().entries()) {
        const tc = tickCtx(files, i);
        got.push(await outcome(async () => s.decode(await s.capture(tc), tc)));
      }
      assert.deepEqual(got, expected);
      // The sequence exercises what matters: rates, per-tick errors, a throw.
      assert.ok([...fieldNames(expected)].some((f) => f.endsWith("_per_s")), "some tick has rates");
      assert.ok(expected.some((o) => isResult(o) && (o.errors?.length ?? 0) > 0), "some tick has errors");
      assert.ok(expected.some((o) => !isResult(o)), "some tick throws");
      assert.ok(expected.filter(isResult).every((o) => o.points.length > 0));
    });

    it("captures made first and decoded later, in tick order, give the same points as sample()", async () => {
      const expected = await sampled(c);
      const s = split(c.factory());
      const ticks = c.ticks();
      const contexts = ticks.map((files, i) => tickCtx(files, i));
      const captures: Captured[] = [];
      for (const tc of contexts) captures.push(await s.capture(tc));
      const got: Outcome[] = [];
      for (const [i, tc] of contexts.entries()) got.push(await outcome(() => s.decode(captures[i] as Captured, tc)));
      assert.deepEqual(got, expected);

      // Order matters: decoded newest first, the same captures give other rates.
      const r = split(c.factory());
      const reversed: Outcome[] = [];
      for (let i = contexts.length - 1; i >= 0; i--) reversed.unshift(await outcome(() => r.decode(captures[i] as Captured, contexts[i] as SampleContext)));
      assert.notDeepEqual(reversed, expected);
    });

    it("decode of a capture not made by captureProc throws a clear error", async () => {
      const s = split(c.factory());
      await assert.rejects(s.decode({ bytes: 64 }, ctx(mapFs({}), T0)), { message: "capture holds no text #0: not made by captureProc" });
    });

    it("a capture of a missing /proc file rejects like sample() does", async () => {
      for (const missing of c.rels) {
        const files = Object.fromEntries(c.rels.filter((r) => r !== missing).map((r) => [r, live(0, r)]));
        const viaSample = await outcome(() => c.factory().sample(ctx(mapFs(files), T0)));
        const s = split(c.factory());
        await assert.rejects(s.capture(ctx(mapFs(files), T0)), (err: unknown) => {
          assert.ok(err instanceof UnavailableError);
          assert.match(err.message, new RegExp(`^unavailable: /proc/${missing} not readable: `));
          assert.deepEqual({ threw: `UnavailableError: ${err.message}` }, viaSample);
          return true;
        });
      }
    });

    it("captures the real /proc: its texts and their size", async () => {
      const s = split(c.factory());
      const tc = ctx(hostFs(), nowNs());
      const captured = (await s.capture(tc)) as CapturedProc;
      assert.equal(captured.texts.length, c.rels.length);
      assert.ok(captured.texts.every((t) => typeof t === "string" && t.length > 0));
      assert.ok(captured.bytes > 0);
      assert.ok(captured.bytes >= captured.texts.reduce((n, t) => n + t.length, 0), "bytes count at least the texts");
      const r = await s.decode(captured, tc);
      assert.ok(r.points.length > 0);
      assert.ok(r.points.every((p) => p.timeNs === tc.nowNs));
    });
  });
}

describe("capturedText", () => {
  it("returns captureProc's texts in the order asked for", async () => {
    const captured = await captureProc(ctx(mapFs({ a: "first", b: "second" }), T0), "b", "a");
    assert.equal(capturedText(captured, 0), "second");
    assert.equal(capturedText(captured, 1), "first");
    assert.equal(captured.bytes, "first".length + "second".length + 2 * 32);
  });

  it("throws a clear error on a capture not made by captureProc, or past its texts", async () => {
    assert.throws(() => capturedText({ bytes: 10 }, 0), { message: "capture holds no text #0: not made by captureProc" });
    assert.throws(() => capturedText({ bytes: 10, texts: [1] } as unknown as Captured, 0), /capture holds no text #0/);
    const captured = await captureProc(ctx(mapFs({ stat: "cpu 1 2 3\n" }), T0), "stat");
    assert.throws(() => capturedText(captured, 1), { message: "capture holds no text #1: not made by captureProc" });
  });

  it("a missing file fails captureProc with the file's name", async () => {
    await assert.rejects(captureProc(ctx(mapFs({ a: "x" }), T0), "a", "net/nope"), (err: unknown) => {
      assert.ok(err instanceof UnavailableError);
      assert.match(err.message, /^unavailable: \/proc\/net\/nope not readable: ENOENT/);
      return true;
    });
  });
});
