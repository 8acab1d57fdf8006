// Parsers on arbitrary and mangled input: a result or a ParseError, never another exception, never NaN.
import assert from "node:assert/strict";
import fc from "fast-check";
import { ParseError } from "@eastwest/common";
import { parseProcStat } from "../../../agent/src/samplers/cpu/cpu.parse.ts";
import { parseNetDev } from "../../../agent/src/samplers/netdev/netdev.parse.ts";
import { parseSnmp } from "../../../agent/src/samplers/tcp/tcp.parse.ts";
import { parseSoftirqs } from "../../../agent/src/samplers/softirqs/softirqs.parse.ts";
import { parseSoftnet } from "../../../agent/src/samplers/softnet/softnet.parse.ts";
import { parseSs } from "../../../agent/src/samplers/tcpinfo/tcpinfo.parse.ts";
import { parseEthtoolFeatures } from "../../../agent/src/host/ethtool.parse.ts";
import { parseQdiscs } from "../../../agent/src/host/tc.parse.ts";
import { fixture } from "./helpers.ts";

const PARSERS: ReadonlyArray<readonly [string, (text: string) => unknown, string]> = [
  ["stat", parseProcStat, fixture("proc", "live-t0", "stat")],
  ["net/dev", parseNetDev, fixture("proc", "live-t0", "net", "dev")],
  ["net/snmp", (t) => parseSnmp(t, "snmp"), fixture("proc", "live-t0", "net", "snmp")],
  ["net/netstat", (t) => parseSnmp(t, "netstat"), fixture("proc", "live-t0", "net", "netstat")],
  ["softirqs", parseSoftirqs, fixture("proc", "live-t0", "softirqs")],
  ["softnet_stat", parseSoftnet, fixture("proc", "live-t0", "net", "softnet_stat")],
  ["ss", parseSs, fixture("cmd", "live-t0", "ss-tinH.txt")],
  ["ethtool -k", parseEthtoolFeatures, fixture("cmd", "live-t0", "ethtool-k-lo.txt")],
  ["tc qdisc", parseQdiscs, fixture("cmd", "variants", "tc-qdisc-mq.txt")],
];

/** No NaN or Infinity anywhere in a parse result. */
function finiteDeep(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (value instanceof Map) return [...value.values()].every(finiteDeep);
  if (Array.isArray(value)) return value.every(finiteDeep);
  if (typeof value === "object" && value !== null) return Object.values(value).every(finiteDeep);
  return true;
}

function survives(parse: (text: string) => unknown, text: string): void {
  try {
    assert.ok(finiteDeep(parse(text)));
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
  }
}

describe("parsers: robustness", () => {
  for (const [name, parse, sample] of PARSERS) {
    it(`${name}: every prefix of a real capture (a short read)`, () => {
      for (let n = 0; n <= sample.length; n += 7) survives(parse, sample.slice(0, n));
    });

    it(`${name}: arbitrary text and mangled captures`, () => {
      const mangled = fc
        .tuple(fc.nat({ max: sample.length }), fc.string({ maxLength: 40 }))
        .map(([at, junk]) => sample.slice(0, at) + junk + sample.slice(at));
      fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 400 }), mangled), (text) => survives(parse, text)), { numRuns: 300 });
    });
  }
});
