// What keeps the per-tick parsing cheap must not change what the samplers report.
import assert from "node:assert/strict";
import fc from "fast-check";
import { hex, int, lines, uint, words } from "../../../agent/src/host/text.ts";
import { parseSnmp } from "../../../agent/src/samplers/tcp/tcp.parse.ts";
import { tcpinfoSampler } from "../../../agent/src/samplers/tcpinfo/tcpinfo.sampler.ts";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { SECOND, ctx, fixture } from "./helpers.ts";

describe("text helpers match their regex forms", () => {
  const digits = fc.stringMatching(/^-?[0-9a-fA-F]{0,22}$/);
  const text = fc.oneof(fc.string({ maxLength: 40 }), digits, fc.constantFrom("", "-", "007", "-0", "18446744073709551615", "99999999999999999999"));

  it("uint, int, hex", () => {
    fc.assert(
      fc.property(text, (t) => {
        assert.equal(uint(t), /^\d+$/.test(t) ? BigInt(t) : undefined);
        assert.equal(int(t), /^-?\d+$/.test(t) ? BigInt(t) : undefined);
        assert.equal(hex(t), /^[0-9a-fA-F]+$/.test(t) ? BigInt(`0x${t}`) : undefined);
      }),
      { numRuns: 2000 },
    );
  });

  it("lines", () => {
    const withBreaks = fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("\n", " \n", "\r\n", "\t", "\u00a0", "\u2028")), { maxLength: 20 }).map((a) => a.join(""));
    fc.assert(
      fc.property(withBreaks, (t) => {
        const expected = t.split("\n").map((l) => l.trimEnd()).filter((l) => l.trim() !== "");
        assert.deepEqual(lines(t), expected);
        for (const l of expected) assert.deepEqual(words(l), l.trim().split(/\s+/));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("parseSnmp with the counters wanted", () => {
  it("keeps exactly the wanted counters, with the values a full parse gives", () => {
    const text = fixture("proc", "live-t0", "net", "netstat");
    const wanted = new Map([["TcpExt", new Set(["TCPOrigDataSent", "DelayedACKs", "NoSuchCounter"])], ["IpExt", new Set(["InOctets"])]]);
    const full = parseSnmp(text, "netstat");
    const some = parseSnmp(text, "netstat", wanted);
    assert.deepEqual([...some.groups.keys()], ["TcpExt", "IpExt"]);
    assert.deepEqual([...(some.groups.get("TcpExt")?.entries() ?? [])], [
      ["DelayedACKs", full.groups.get("TcpExt")?.get("DelayedACKs")],
      ["TCPOrigDataSent", full.groups.get("TcpExt")?.get("TCPOrigDataSent")],
    ]);
    assert.equal(some.groups.get("IpExt")?.get("InOctets"), full.groups.get("IpExt")?.get("InOctets"));
    assert.deepEqual(some.errors, []);
    assert.throws(() => parseSnmp("garbage\n", "x", wanted), /no "Group: names"/);
    assert.throws(() => parseSnmp("TcpExt: A DelayedACKs\nTcpExt: 1\n", "x", wanted), /TcpExt: 2 names but 1 values/, "a truncated line still fails");
    assert.deepEqual(parseSnmp("Udp: A\nUdp: x\nIpExt: InOctets\nIpExt: 5\n", "x", wanted).groups.get("IpExt"), new Map([["InOctets", 5n]]), "an unwanted group is skipped");
  });
});

describe("tcpinfo: no /proc pre-check while ss finds the flows", () => {
  it("reads /proc/net/tcp{,6} again only after an ss run found nothing", async () => {
    const HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    let reads = 0;
    const fs = { ...hostFs("/nonexistent", "/nonexistent"), proc: async (rel: string) => (reads++, rel === "net/tcp" ? HEADER + "   1: 0100007F:1451 0100007F:D431 01 0 0 0 0 0\n" : HEADER) };
    let stdout = fixture("cmd", "live-t0", "ss-tinH.txt");
    const s = tcpinfoSampler();
    const T0 = 1_700_000_000n * SECOND;
    const at = (i: bigint) => s.sample(ctx(fs, T0 + i * SECOND, { exec: async () => ({ stdout, stderr: "" }), options: { flows: [{ port: 5201 }], backend: "ss" } }));
    assert.equal((await at(0n)).points.length, 4);
    assert.equal(reads, 2, "the first look");
    await at(1n);
    await at(2n);
    assert.equal(reads, 2, "ss found flows: it is the check");
    stdout = "";
    await at(3n);
    await at(4n);
    assert.equal(reads, 4, "ss found none: look in /proc again");
  });
});
