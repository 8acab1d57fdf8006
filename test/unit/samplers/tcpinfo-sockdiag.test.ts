// tcpinfo's sockdiag backend, pure parts: the struct tcp_info decoder, ss's endpoint text, the port bytecode (checked
// with a transcription of the kernel's inet_diag_bc_audit / inet_diag_bc_run), and the helper's line protocol.
import assert from "node:assert/strict";
import { endianness } from "node:os";
import fc from "fast-check";
import { TCPI, decodeTcpInfo, endpointText, ipv6Text, stateName, toFlow } from "../../../agent/src/samplers/tcpinfo/sockdiag.decode.ts";
import {
  BLOCK_BYTES, INET_DIAG_BC_D_EQ, INET_DIAG_BC_JMP, INET_DIAG_BC_S_EQ, SS_DEFAULT_STATES, portBytecode, sockDiagRequest,
} from "../../../agent/src/samplers/tcpinfo/sockdiag.bytecode.ts";
import { parseHelperLine, requestLine } from "../../../agent/src/samplers/tcpinfo/sockdiag.protocol.ts";

const LE = endianness() === "LE";

/** A struct tcp_info of `len` bytes with the given fields set (offsets from TCPI). */
function tcpInfo(len: number, u32: Partial<Record<keyof typeof TCPI, number>>, u64: Partial<Record<keyof typeof TCPI, bigint>> = {}, appLimited = false): Buffer {
  const b = Buffer.alloc(248);
  b[TCPI.app_limited_byte] = appLimited ? 1 : 0;
  for (const [k, v] of Object.entries(u32)) (LE ? b.writeUInt32LE(v, TCPI[k as keyof typeof TCPI]) : b.writeUInt32BE(v, TCPI[k as keyof typeof TCPI]));
  for (const [k, v] of Object.entries(u64)) (LE ? b.writeBigUInt64LE(v, TCPI[k as keyof typeof TCPI]) : b.writeBigUInt64BE(v, TCPI[k as keyof typeof TCPI]));
  return b.subarray(0, len);
}

const BUSY = {
  rto: 204_000, snd_mss: 65483, unacked: 14, lost: 2, retrans: 1, pmtu: 65535, rtt: 24, rttvar: 7, snd_ssthresh: 8,
  snd_cwnd: 14, reordering: 6, rcv_rtt: 20, rcv_space: 65483, total_retrans: 30, segs_out: 129_600, segs_in: 40_000,
  notsent_bytes: 1_638_983, min_rtt: 3, data_segs_in: 2, data_segs_out: 129_548, delivered: 129_000,
};
const BUSY64 = {
  pacing_rate: 4_000_000_000n, bytes_acked: 5_712_117_798n, bytes_received: 100n, delivery_rate: 8_929_500_000n,
  busy_time: 1_512_345n, rwnd_limited: 12_500n, sndbuf_limited: 300n, bytes_sent: 5_712_969_182n, bytes_retrans: 43_440n,
};

describe("tcpinfo sockdiag: struct tcp_info decoder", () => {
  it("decodes a full struct into the ss parser's fields and units", () => {
    const i = decodeTcpInfo(tcpInfo(248, BUSY, BUSY64, true));
    assert.deepEqual(i, {
      app_limited: true,
      rto_ns: 204_000_000n,
      rtt_ns: 24_000n,
      rttvar_ns: 7_000n,
      mss_bytes: 65483n,
      pmtu_bytes: 65535n,
      cwnd: 14n,
      ssthresh: 8n,
      sent_bytes_total: 5_712_969_182n,
      retrans_bytes_total: 43_440n,
      acked_bytes_total: 5_712_117_798n,
      received_bytes_total: 100n,
      segs_out_total: 129_600n,
      segs_in_total: 40_000n,
      data_segs_out_total: 129_548n,
      data_segs_in_total: 2n,
      send_rate_bits_per_s: Math.round((14 * 65483 * 8_000_000) / 24),
      pacing_rate_bits_per_s: 32e9,
      delivery_rate_bits_per_s: 71_436_000_000,
      delivered_total: 129_000n,
      // the kernel's microseconds, finer than ss's whole ms
      busy_ns_total: 1_512_345_000n,
      rwnd_limited_ns_total: 12_500_000n,
      sndbuf_limited_ns_total: 300_000n,
      unacked: 14n,
      retrans_inflight: 1n,
      retrans_total: 30n,
      lost: 2n,
      reordering: 6n,
      rcv_rtt_ns: 20_000n,
      rcv_space_bytes: 65483n,
      notsent_bytes: 1_638_983n,
      minrtt_ns: 3_000n,
    });
  });

  it("mirrors ss's absence rules", () => {
    const none = decodeTcpInfo(tcpInfo(248, { rto: 3_000_000, snd_ssthresh: 0x7fff_ffff, min_rtt: 0xffff_ffff, reordering: 3 }, { pacing_rate: 0xffff_ffff_ffff_ffffn, rwnd_limited: 5n }));
    // printed by ss only when non-zero (rto also not while 3 s, ssthresh only < 0xFFFF, pacing not ~0, minrtt not ~0,
    // rwnd/sndbuf_limited only with busy); unacked/retrans/lost/reordering are read as their default when not printed.
    assert.deepEqual(none, { app_limited: false, unacked: 0n, retrans_inflight: 0n, retrans_total: 0n, lost: 0n, reordering: 3n });
    assert.equal(decodeTcpInfo(tcpInfo(248, { snd_ssthresh: 0xfffe })).ssthresh, 0xfffen);
    assert.equal(decodeTcpInfo(tcpInfo(248, { snd_ssthresh: 0xffff })).ssthresh, undefined);
    // send needs rtt, mss and cwnd
    assert.equal(decodeTcpInfo(tcpInfo(248, { rtt: 10, snd_mss: 1448 })).send_rate_bits_per_s, undefined);
    assert.equal(decodeTcpInfo(tcpInfo(248, { rtt: 7, snd_mss: 1448, snd_cwnd: 10 })).send_rate_bits_per_s, 16548571429); // ss: "send 16548571429bps"    // with minrtt printed, an unprinted notsent is 0 (the ss parser's rule), so a drained queue stays a series
    const drained = decodeTcpInfo(tcpInfo(248, { min_rtt: 5 }));
    assert.deepEqual([drained.minrtt_ns, drained.notsent_bytes], [5_000n, 0n]);
  });

  it("leaves fields beyond a shorter (older kernel's) struct absent", () => {
    const at = (len: number) => Object.keys(decodeTcpInfo(tcpInfo(len, BUSY, BUSY64, true))).sort();
    const full = at(248);
    // 104 bytes: the 2.6 struct, up to total_retrans
    const old = at(104);
    for (const k of ["pacing_rate_bits_per_s", "acked_bytes_total", "segs_out_total", "minrtt_ns", "delivery_rate_bits_per_s", "busy_ns_total", "delivered_total", "sent_bytes_total", "notsent_bytes"]) {
      assert.ok(full.includes(k) && !old.includes(k), k);
    }
    assert.ok(old.includes("rtt_ns") && old.includes("retrans_total") && old.includes("rcv_space_bytes"));
    // 160: up to data_segs_out (4.6); 200: up to delivered_ce (4.19, no bytes_sent/bytes_retrans)
    assert.ok(at(160).includes("data_segs_out_total") && !at(160).includes("delivery_rate_bits_per_s"));
    assert.ok(at(200).includes("delivered_total") && !at(200).includes("sent_bytes_total") && !at(200).includes("retrans_bytes_total"));
    // a field cut in half is absent, not misread
    assert.equal(decodeTcpInfo(tcpInfo(TCPI.rtt + 2, BUSY)).rtt_ns, undefined);
    assert.deepEqual(decodeTcpInfo(Buffer.alloc(0)), {});
    assert.deepEqual(decodeTcpInfo(tcpInfo(8, {}, {}, true)), { app_limited: true });
  });

  it("never produces NaN or Infinity, whatever the bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 260 }), (bytes) => {
      const i = decodeTcpInfo(Buffer.from(bytes));
      return Object.values(i).every((v) => typeof v !== "number" || Number.isFinite(v));
    }));
  });
});

describe("tcpinfo sockdiag: endpoints and states as ss -n prints them", () => {
  const v6 = (text: string) => {
    // a test-side parser of full 8-group text (no "::") into bytes
    const b = Buffer.alloc(16);
    text.split(":").forEach((g, i) => b.writeUInt16BE(Number.parseInt(g, 16), 2 * i));
    return b;
  };

  it("formats IPv6 like glibc inet_ntop", () => {
    const cases: Array<[string, string]> = [
      ["0:0:0:0:0:0:0:1", "::1"],
      ["0:0:0:0:0:ffff:7f00:1", "::ffff:127.0.0.1"],
      ["fe80:0:0:0:0:0:0:1", "fe80::1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"],
      ["1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"],
      ["0:0:0:0:0:0:0:0", "::"],
      ["0:0:0:0:0:0:102:304", "::1.2.3.4"],
      ["1:0:0:0:0:0:0:0", "1::"],
      ["fd00:0:0:0:0:0:0:2", "fd00::2"],
    ];
    for (const [full, text] of cases) assert.equal(ipv6Text(v6(full)), text, full);
  });

  it("brackets IPv6, appends %ifname, prints port 0 and the dual-stack any address as *", () => {
    assert.equal(endpointText(2, Buffer.from([127, 0, 0, 1]), 5201, false), "127.0.0.1:5201");
    assert.equal(endpointText(10, v6("0:0:0:0:0:ffff:7f00:1"), 5201, false), "[::ffff:127.0.0.1]:5201");
    assert.equal(endpointText(10, v6("fe80:0:0:0:0:0:0:1"), 22, false, "eth0"), "[fe80::1]%eth0:22");
    assert.equal(endpointText(10, Buffer.alloc(16), 0, false), "*:*");
    assert.equal(endpointText(10, Buffer.alloc(16), 80, true), "[::]:80");
    assert.equal(endpointText(2, Buffer.alloc(4), 0, false), "0.0.0.0:*");
    assert.deepEqual([1, 2, 4, 5, 8, 9, 11, 99].map(stateName), ["ESTAB", "SYN-SENT", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "LAST-ACK", "CLOSING", "UNKNOWN"]);
  });

  it("builds the flow ss would print: queues, congestion, hasInfo", () => {
    const raw = { family: 10 as const, state: 1, src: v6("fe80:0:0:0:0:0:0:1"), sport: 22, dst: v6("fe80:0:0:0:0:0:0:2"), dport: 40000, ifindex: 7, rqueue: 3n, wqueue: 4n, congestion: "cubic" };
    const withInfo = toFlow({ ...raw, info: tcpInfo(248, { rtt: 5 }) }, (i) => (i === 7 ? "br0" : `if${i}`));
    assert.equal(withInfo.local, "[fe80::1]%br0:22");
    assert.equal(withInfo.remote, "[fe80::2]:40000");
    assert.deepEqual([withInfo.state, withInfo.recvQBytes, withInfo.sendQBytes, withInfo.congestion, withInfo.hasInfo], ["ESTAB", 3n, 4n, "cubic", true]);
    const bare = toFlow(raw, (i) => `if${i}`);
    assert.deepEqual([bare.hasInfo, bare.info, bare.congestion, bare.local], [false, {}, undefined, "[fe80::1]%if7:22"]);
  });
});

/** The kernel's inet_diag_bc_audit (net/ipv4/inet_diag.c), for the ops portBytecode uses: 0 or "EINVAL". */
function audit(bc: Buffer): 0 | "EINVAL" {
  const op = (at: number) => ({ code: bc.readUInt8(at), yes: bc.readUInt8(at + 1), no: LE ? bc.readUInt16LE(at + 2) : bc.readUInt16BE(at + 2) });
  const validCc = (cc: number): boolean => {
    let len = bc.length;
    let at = 0;
    while (len >= 0) {
      if (cc > len) return false;
      if (cc === len) return true;
      const o = op(at);
      if (o.yes < 4 || o.yes & 3) return false;
      len -= o.yes;
      at += o.yes;
    }
    return false;
  };
  let len = bc.length;
  let at = 0;
  while (len > 0) {
    const o = op(at);
    let min = 4;
    if (o.code === INET_DIAG_BC_S_EQ || o.code === INET_DIAG_BC_D_EQ) min += 4;
    else if (o.code !== INET_DIAG_BC_JMP) return "EINVAL";
    if (len < min) return "EINVAL";
    if (o.no < min || o.no > len + 4 || o.no & 3) return "EINVAL";
    if (o.no < len && !validCc(len - o.no)) return "EINVAL";
    if (o.yes < min || o.yes > len + 4 || o.yes & 3) return "EINVAL";
    at += o.yes;
    len -= o.yes;
  }
  return len === 0 ? 0 : "EINVAL";
}

/** The kernel's inet_diag_bc_run for those ops: does a socket with these ports pass? */
function run(bc: Buffer, sport: number, dport: number): boolean {
  let len = bc.length;
  let at = 0;
  while (len > 0) {
    const code = bc.readUInt8(at);
    const yes = bc.readUInt8(at + 1);
    const no = LE ? bc.readUInt16LE(at + 2) : bc.readUInt16BE(at + 2);
    const portOp = code === INET_DIAG_BC_S_EQ || code === INET_DIAG_BC_D_EQ;
    const port = portOp ? (LE ? bc.readUInt16LE(at + 6) : bc.readUInt16BE(at + 6)) : -1;
    const match = code === INET_DIAG_BC_S_EQ ? sport === port : code === INET_DIAG_BC_D_EQ ? dport === port : false;
    len -= match ? yes : no;
    at += match ? yes : no;
  }
  return len === 0;
}

describe("tcpinfo sockdiag: port bytecode", () => {
  it("lays out one port as S_EQ, JMP, D_EQ, JMP with the port in follow-on ops", () => {
    const u16 = (n: number) => (LE ? [n & 255, n >> 8] : [n >> 8, n & 255]);
    assert.deepEqual([...portBytecode([5201])], [
      INET_DIAG_BC_S_EQ, 8, ...u16(12), 0, 0, ...u16(5201),
      INET_DIAG_BC_JMP, 4, ...u16(16),
      INET_DIAG_BC_D_EQ, 8, ...u16(16), 0, 0, ...u16(5201),
      INET_DIAG_BC_JMP, 4, ...u16(4),
    ]);
    const two = portBytecode([22, 443]);
    assert.equal(two.length, 2 * BLOCK_BYTES);
    // first block: D_EQ "no" goes to the next block; its JMPs reach the end of both blocks
    assert.deepEqual([...two.subarray(8, 16)], [INET_DIAG_BC_JMP, 4, ...u16(40), INET_DIAG_BC_D_EQ, 8, ...u16(12)]);
    assert.throws(() => portBytecode([]), RangeError);
    assert.throws(() => portBytecode([70000]), RangeError);
  });

  it("passes the kernel's audit and accepts exactly the sockets with a listed port, for 1..n ports", () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }), (ports, s, d) => {
      const bc = portBytecode(ports);
      assert.equal(audit(bc), 0);
      assert.equal(run(bc, s, d), ports.includes(s) || ports.includes(d));
      for (const p of ports.slice(0, 3)) assert.ok(run(bc, p, 0) && run(bc, 0, p));
    }));
    assert.equal(audit(portBytecode(Array.from({ length: 1024 }, (_, i) => i + 1))), 0);
  });

  it("filters in the kernel only when every selector has a port; ss's default states", () => {
    assert.equal(SS_DEFAULT_STATES, 0b1011_0011_0111); // not LISTEN (10), CLOSE (7), TIME-WAIT (6), SYN-RECV (3)
    assert.deepEqual(sockDiagRequest([{ port: 443 }, { port: 22, address: "10.0.0.1" }, { port: 22 }]).bytecode, portBytecode([22, 443]));
    assert.equal(sockDiagRequest([{ port: 443 }, { address: "10.0.0.1" }]).bytecode, undefined);
    assert.equal(requestLine(7, { states: SS_DEFAULT_STATES }), "Q 7 2871 -\n");
    assert.equal(requestLine(8, sockDiagRequest([{ port: 1 }])), `Q 8 2871 ${portBytecode([1]).toString("hex")}\n`);
  });
});

describe("tcpinfo sockdiag: helper protocol", () => {
  const INFO = tcpInfo(248, { rtt: 50 }).toString("hex");
  const S = `S 3 2 1 7f000001 5201 7f000002 40000 0 - 10 20 cubic ${INFO}`;

  it("parses socket, end and error records", () => {
    const s = parseHelperLine(S);
    assert.ok(s.kind === "socket");
    assert.deepEqual([s.id, s.socket.family, s.socket.state, s.socket.sport, s.socket.dport, s.socket.rqueue, s.socket.wqueue, s.socket.congestion], [3, 2, 1, 5201, 40000, 10n, 20n, "cubic"]);
    assert.deepEqual([...s.socket.src], [127, 0, 0, 1]);
    assert.equal(s.socket.info?.length, 248);
    const v6 = parseHelperLine(`S 4 10 2 ${"00".repeat(15)}01 1 ${"00".repeat(15)}01 2 3 1 0 0 - -`);
    assert.ok(v6.kind === "socket" && v6.socket.v6only === true && v6.socket.info === undefined && v6.socket.congestion === undefined && v6.socket.ifindex === 3);
    assert.deepEqual(parseHelperLine("E 3 12"), { kind: "end", id: 3, count: 12 });
    assert.deepEqual(parseHelperLine("X 3 2 No such file or directory"), { kind: "error", id: 3, errno: 2, message: "No such file or directory" });
  });

  it("reports malformed output as a 'bad' record that names the problem, never a throw", () => {
    const bad: Array<[string, RegExp]> = [
      ["", /no request id/],
      ["hello", /no request id/],
      ["Z 1 2", /unknown record/],
      ["E 1", /bad end record/],
      ["E 1 x", /bad end record/],
      ["X 1", /bad error record/],
      [S.replace(" cubic ", " "), /13 fields/],
      [S.replace("7f000001", "7f0001"), /bad address/],
      [S.replace("S 3 2", "S 3 7"), /bad family/],
      [S.replace("5201", "70000"), /bad port/],
      [S.replace(" - ", " 2 "), /bad v6only/],
      [S.replace("cubic", "c\tx"), /fields|congestion/],
      [S.replace(INFO, "0g"), /bad tcp_info/],
      [S.replace(" 10 20 ", " -1 20 "), /bad number/],
      [S.slice(0, 60), /bad tcp_info/],
      [S.slice(0, 40), /fields/],
    ];
    for (const [line, problem] of bad) {
      const r = parseHelperLine(line);
      assert.equal(r.kind, "bad", line);
      assert.match(r.kind === "bad" ? r.problem : "", problem, line);
    }
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (line) => ["socket", "end", "error", "bad"].includes(parseHelperLine(line).kind)));
  });
});
