import assert from "node:assert/strict";
import { ParseError } from "@eastwest/common";
import { parseIperf3 } from "../../../collector/src/run/iperf3.parse.ts";
import { iperfFixture } from "./helpers.ts";

const NS = 1_000_000_000n;

function parse(name: string) {
  return parseIperf3(iperfFixture(name));
}

function throwsParse(input: unknown, re: RegExp): void {
  assert.throws(() => parseIperf3(input), (err: unknown) => err instanceof ParseError && re.test(err.message));
}

describe("iperf3 -J parser: captured reports", () => {
  it("reads a forward TCP client report", () => {
    const s = parse("tcp.client.json");
    assert.equal(s.role, "client");
    assert.equal(s.version, "iperf 3.12");
    assert.equal(s.cookie, "pu3xoswqgccgj7uh4vm3tw3dbbuwup7tjuog");
    assert.equal(s.startNs, 1_795_693_756n * NS);
    assert.deepEqual([s.durationS, s.protocol, s.streams, s.lengthBytes, s.reverse, s.bidir], [2, "TCP", 1, 131_072, false, false]);
    assert.deepEqual([s.senderCongestion, s.receiverCongestion], ["bbr", "bbr"]);
    assert.deepEqual(s.sent, { startS: 0, endS: 2.000533, seconds: 2.000533, bytes: 6_084_362_240, bitsPerS: 24_330_964_757.892021, retransmits: 6, sender: true });
    assert.equal(s.received.bytes, 6_080_561_152);
    assert.equal(s.received.bitsPerS, 24_308_291_648.5937);
    assert.equal(s.received.retransmits, null);
    assert.equal(s.retransmits, 6);
    assert.equal(s.cpu?.hostTotalPct, 28.753202651338235);
    assert.equal(s.cpu?.remoteTotalPct, 57.583937692045154);
    assert.equal(s.intervals.length, 2);
    assert.deepEqual(s.intervals[0], { startS: 0, endS: 1.000039, seconds: 1.0000389814376831, bytes: 3_483_893_760, bitsPerS: 27_870_063_664.850025, retransmits: 1, sender: true, omitted: false });
    assert.equal(s.intervals[1]?.retransmits, 5);
    assert.equal(s.udp, null);
    assert.equal(s.bidirReverse, null);
  });

  it("reads the server's report of the same test", () => {
    const s = parse("tcp.server.json");
    assert.equal(s.role, "server");
    assert.equal(s.cookie, parse("tcp.client.json").cookie);
    assert.equal(s.sent.bytes, 0);
    assert.equal(s.received.bytes, 6_080_561_152);
    assert.equal(s.retransmits, null);
    assert.equal(s.senderCongestion, null);
    assert.equal(s.receiverCongestion, "bbr");
    assert.equal(s.cpu?.hostTotalPct, 57.583937692045154);
    assert.equal(s.intervals.length, 3);
    assert.equal(s.intervals[0]?.bytes, 3_478_388_736);
  });

  it("reads a reverse test from both ends", () => {
    const c = parse("reverse.client.json");
    assert.equal(c.reverse, true);
    assert.equal(c.startNs, 1_795_693_759n * NS);
    assert.deepEqual([c.sent.bytes, c.sent.sender, c.retransmits], [3_575_644_160, false, 17]);
    assert.equal(c.received.bytes, 3_573_022_720);
    assert.equal(c.received.bitsPerS, 14_288_361_617.6178);
    const s = parse("reverse.server.json");
    assert.deepEqual([s.role, s.reverse, s.sent.bytes, s.sent.sender, s.retransmits], ["server", true, 3_575_644_160, true, 17]);
  });

  it("reads a parallel (-P 2) test", () => {
    const s = parse("parallel.client.json");
    assert.equal(s.streams, 2);
    assert.deepEqual([s.sent.bytes, s.received.bytes, s.retransmits], [4_137_680_896, 4_137_680_896, 4]);
    assert.equal(s.received.bitsPerS, 16_536_576_542.767664);
    assert.equal(s.intervals[0]?.retransmits, 3);
    assert.equal(parse("parallel.server.json").streams, 2);
  });

  it("reads both directions of a --bidir test", () => {
    const c = parse("bidir.client.json");
    assert.equal(c.bidir, true);
    assert.equal(c.reverse, false);
    assert.deepEqual([c.sent.bytes, c.received.bytes], [969_932_800, 968_622_080]);
    assert.equal(c.bidirReverse?.sent.bytes, 7_266_631_680);
    assert.equal(c.bidirReverse?.received.bytes, 7_262_830_592);
    assert.equal(c.bidirReverse?.received.bitsPerS, 29_009_432_747.113167);
    assert.equal(c.bidirReverse?.intervals.length, 2);
    assert.equal(c.bidirReverse?.intervals[0]?.bytes, 3_696_885_760);
    assert.equal(c.intervals[0]?.bytes, 397_148_160);
    const s = parse("bidir.server.json");
    assert.equal(s.bidir, true);
    assert.equal(s.bidirReverse?.sent.bytes, 7_266_631_680);
  });

  it("reads a UDP test: no retransmits, loss and jitter", () => {
    const s = parse("udp.client.json");
    assert.deepEqual([s.protocol, s.lengthBytes, s.retransmits], ["UDP", 32_768, null]);
    assert.deepEqual(s.udp, { jitterMs: 0.01888513911399354, lostPackets: 0, packets: 763, lostPercent: 0 });
    assert.equal(s.sent.bytes, 25_001_984);
    assert.equal(s.received.bitsPerS, 99_983_589.995836);
  });

  it("accepts the parsed object as well as the text", () => {
    const text = iperfFixture("tcp.client.json");
    assert.deepEqual(parseIperf3(JSON.parse(text)), parseIperf3(text));
  });
});

describe("iperf3 -J parser: failures", () => {
  it("turns iperf3's own error into a ParseError carrying its message", () => {
    throwsParse(iperfFixture("refused.client.json"), /iperf3 reported an error: unable to connect to server: Connection refused/);
  });

  it("rejects garbage, empty and truncated output with a clear message", () => {
    throwsParse("", /empty output/);
    throwsParse("   \n", /empty output/);
    throwsParse("iperf3: error - unable to connect", /not valid JSON \(garbage or truncated output/);
    const text = iperfFixture("tcp.client.json");
    throwsParse(text.slice(0, Math.floor(text.length / 2)), /not valid JSON \(garbage or truncated output, \d+ chars\)/);
  });

  it("names what is missing or mistyped", () => {
    throwsParse("[1, 2]", /top level: expected an object \(got an array\)/);
    throwsParse(null, /top level: expected an object \(got null\)/);
    const doc = JSON.parse(iperfFixture("tcp.client.json"));
    throwsParse({ ...doc, end: {} }, /end has no sum_sent \/ sum_received: the test did not finish/);
    throwsParse({ ...doc, start: { ...doc.start, timestamp: undefined } }, /start\.timestamp: expected an object/);
    const nan = structuredClone(doc);
    nan.end.sum_received.bits_per_second = Number.NaN;
    throwsParse(nan, /end\.sum_received\.bits_per_second: expected a finite number/);
    const badInterval = structuredClone(doc);
    badInterval.intervals[1].sum.bytes = "many";
    throwsParse(badInterval, /intervals\[1\]\.sum\.bytes: expected a finite number \(got string\)/);
  });
});
