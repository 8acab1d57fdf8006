// Whole ticks of the /proc samplers, pinned: the points (measurement, tags, field names, types and values, in
// order), the errors and the encoded batch of every tick of a fixed sequence of /proc trees, against a golden
// file recorded from the code before the per-tick work was cached. The sequence changes the files' shape
// (older kernels, truncated and garbage reads, interfaces and cpus coming and going, counters going back) so
// that every cache is dropped and rebuilt along the way.
// Re-record (only when a change of output is intended): UPDATE_GOLDEN=1 npx mocha ... tick-golden.test.ts
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Sample } from "@eastwest/common";
import { cpuSampler } from "../../../agent/src/samplers/cpu/cpu.sampler.ts";
import { netdevSampler } from "../../../agent/src/samplers/netdev/netdev.sampler.ts";
import { tcpSampler } from "../../../agent/src/samplers/tcp/tcp.sampler.ts";
import { softirqsSampler } from "../../../agent/src/samplers/softirqs/softirqs.sampler.ts";
import { softnetSampler } from "../../../agent/src/samplers/softnet/softnet.sampler.ts";
import { BatchEncoder } from "../../../proto/src/wire/encode.ts";
import type { Sampler } from "../../../agent/src/samplers/types.ts";
import { FIXTURES, SECOND, T0, ctx, fixture, mapFs } from "./helpers.ts";

const GOLDEN = join(FIXTURES, "golden", "proc-ticks.json");
const FILES = ["stat", "softirqs", "net/dev", "net/snmp", "net/netstat", "net/softnet_stat"] as const;

function live(tick: 0 | 1): Record<string, string> {
  return Object.fromEntries(FILES.map((rel) => [rel, fixture("proc", `live-t${tick}`, rel)]));
}

const variant = (name: string): string => fixture("proc", "variants", name);
const textLines = (text: string): string[] => text.split("\n").filter((l) => l !== "");
/** Keeps the lines for which `keep(line, index)` holds. */
const filterLines = (text: string, keep: (line: string, i: number) => boolean): string => `${textLines(text).filter(keep).join("\n")}\n`;
/** Keeps the first `n` columns of every line. */
const columns = (text: string, n: number): string => `${textLines(text).map((l) => l.split(" ").slice(0, n).join(" ")).join("\n")}\n`;
/** The counter lines of /proc/net/dev in reverse order, plus one interface that was not there. */
const devReordered = (text: string): string => {
  const all = textLines(text);
  const extra = `  veth9: ${Array.from({ length: 16 }, (_, i) => String(i * 1000 + 7)).join(" ")}`;
  return `${[...all.slice(0, 2), ...all.slice(2).reverse(), extra].join("\n")}\n`;
};
/** /proc/net/snmp or netstat with the last counter of group `group` gone (an older kernel). */
const dropLastCounter = (text: string, group: string): string =>
  `${textLines(text).map((l) => (l.startsWith(`${group}: `) ? l.slice(0, l.lastIndexOf(" ")) : l)).join("\n")}\n`;
/** /proc/softirqs of the first cpu only (the other one offlined before boot: not a possible cpu). */
const softirqsOneCpu = (text: string): string =>
  `${textLines(text).map((l) => {
    const [first = "", second = ""] = l.trim().split(/\s+/);
    return first.endsWith(":") ? `${first.padStart(12)} ${second.padStart(10)}` : `${" ".repeat(20)}${first}`;
  }).join("\n")}\n`;
/** A /proc/net/netstat whose TcpExt names come in another order (a kernel that added one in the middle). */
const tcpExtRotated = (text: string): string => {
  const all = textLines(text).map((l) => (l.startsWith("TcpExt: ") ? l.slice("TcpExt: ".length).split(" ") : undefined));
  return `${textLines(text).map((l, i) => {
    const items = all[i];
    return items === undefined ? l : `TcpExt: ${[...items.slice(5), ...items.slice(0, 5)].join(" ")}`;
  }).join("\n")}\n`;
};

interface Step {
  what: string;
  files: Record<string, string>;
  /** Seconds after T0 (not always advancing: a clock that did not move gives no rates). */
  atS: bigint;
}

function steps(): Step[] {
  const t0 = live(0);
  const t1 = live(1);
  return [
    { what: "first tick", files: t0, atS: 0n },
    { what: "second tick", files: t1, atS: 1n },
    { what: "same counters again", files: t1, atS: 2n },
    {
      what: "older kernel shapes",
      files: {
        ...t0,
        stat: variant("stat-2.6.18"),
        "net/snmp": filterLines(dropLastCounter(t0["net/snmp"] as string, "Tcp"), (l) => !l.startsWith("Udp:")),
        "net/netstat": tcpExtRotated(dropLastCounter(t0["net/netstat"] as string, "IpExt")),
        "net/softnet_stat": columns(t0["net/softnet_stat"] as string, 11),
      },
      atS: 3n,
    },
    { what: "back to the live shapes, counters back", files: t0, atS: 4n },
    { what: "live again", files: t1, atS: 5n },
    {
      what: "truncated reads",
      files: { ...t1, stat: variant("stat-truncated"), softirqs: variant("softirqs-truncated"), "net/dev": variant("net/dev-truncated"), "net/snmp": (t1["net/snmp"] as string).slice(0, -40) },
      atS: 6n,
    },
    { what: "after truncated reads", files: t1, atS: 7n },
    {
      what: "interfaces reordered and added, a cpu gone",
      files: { ...t1, "net/dev": devReordered(t1["net/dev"] as string), "net/softnet_stat": filterLines(t1["net/softnet_stat"] as string, (_, i) => i !== 0), softirqs: softirqsOneCpu(t1["softirqs"] as string) },
      atS: 8n,
    },
    { what: "clock did not advance", files: t1, atS: 8n },
    { what: "garbage", files: { ...t1, stat: variant("stat-garbage"), softirqs: variant("softirqs-garbage"), "net/dev": variant("net/dev-garbage"), "net/netstat": "garbage\n" }, atS: 9n },
    { what: "live after garbage", files: t0, atS: 10n },
    { what: "last", files: t1, atS: 11n },
  ];
}

const SAMPLERS: ReadonlyArray<readonly [string, () => Sampler, Record<string, unknown>]> = [
  ["cpu", cpuSampler, {}],
  ["cpu userHz 250", cpuSampler, { userHz: 250 }],
  ["netdev", netdevSampler, {}],
  ["netdev filtered", netdevSampler, { interfaces: ["lo", "/eth.*|veth9/"] }],
  ["tcp", tcpSampler, {}],
  ["softirqs", softirqsSampler, {}],
  ["softnet", softnetSampler, {}],
];

/** A point as plain JSON: entries in order, every value with its type. */
function plain(p: Sample): unknown {
  return {
    measurement: p.measurement,
    tags: Object.entries(p.tags),
    fields: Object.entries(p.fields).map(([k, v]) => [k, typeof v, String(v)]),
    timeNs: String(p.timeNs),
  };
}

async function record(): Promise<unknown[]> {
  const out: unknown[] = [];
  const encoder = new BatchEncoder();
  for (const [name, make, options] of SAMPLERS) {
    const sampler = make();
    for (const step of steps()) {
      const c = ctx(mapFs(step.files), T0 + step.atS * SECOND, { options });
      try {
        const r = await sampler.sample(c);
        const batch = encoder.encode("test-agent", 1n + step.atS, r.points, c.nowNs).toString("base64");
        out.push({ sampler: name, step: step.what, points: r.points.map(plain), errors: r.errors ?? [], batch });
      } catch (err) {
        out.push({ sampler: name, step: step.what, throws: (err as Error).message });
      }
    }
  }
  return out;
}

describe("a whole tick's output is pinned", () => {
  it("every sampler, every step, matches the golden file", async () => {
    const got = await record();
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(GOLDEN, `[\n${got.map((x) => JSON.stringify(x)).join(",\n")}\n]\n`);
    const want = JSON.parse(readFileSync(GOLDEN, "utf8")) as unknown[];
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.deepEqual(got[i], want[i]);
  });
});
