import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { realExec } from "../../../agent/src/runtime/exec.ts";
import { ConfigError, ParseError, type Sample } from "@eastwest/common";
import { parseTcpInfoOptions } from "../../../agent/src/samplers/tcpinfo/tcpinfo.filter.ts";
import { ssArgs } from "../../../agent/src/host/ss.filter.ts";
import { parseSs, type TcpFlow } from "../../../agent/src/samplers/tcpinfo/tcpinfo.parse.ts";
import { msToNs, parseRate } from "../../../agent/src/samplers/tcpinfo/tcpinfo.info.ts";
import { tcpinfoSampler } from "../../../agent/src/samplers/tcpinfo/tcpinfo.sampler.ts";
import { SECOND, T0, allFinite, ctx, fixture, fixtureExec, liveFs, pointWith, requireTool } from "./helpers.ts";

function flow(flows: readonly TcpFlow[], local: string): TcpFlow {
  const f = flows.find((x) => x.local === local);
  assert.ok(f !== undefined, `flow from ${local}`);
  return f;
}

describe("tcpinfo: ss filter arguments", () => {
  const HEAD = ["-t", "-i", "-n", "-H"];

  it("builds an argv array per selector kind", () => {
    assert.deepEqual(ssArgs([{ port: 5201 }]), [...HEAD, "(", "(", "sport", "=", ":5201", "or", "dport", "=", ":5201", ")", ")"]);
    assert.deepEqual(ssArgs([{ address: "10.0.0.2" }]), [...HEAD, "(", "(", "src", "10.0.0.2", "or", "dst", "10.0.0.2", ")", ")"]);
    assert.deepEqual(ssArgs([{ address: "fd00::2", port: 443 }]), [
      ...HEAD, "(", "(", "(", "src", "[fd00::2]", "and", "sport", "=", ":443", ")", "or",
      "(", "dst", "[fd00::2]", "and", "dport", "=", ":443", ")", ")", ")",
    ]);
  });

  it("ORs several selectors", () => {
    const args = ssArgs([{ port: 1 }, { address: "::1" }]);
    assert.deepEqual(args.slice(4), ["(", "(", "sport", "=", ":1", "or", "dport", "=", ":1", ")", "or", "(", "src", "[::1]", "or", "dst", "[::1]", ")", ")"]);
  });

  it("validates every selector and reports all problems", () => {
    const r = parseTcpInfoOptions({
      flows: [{ port: 0 }, { port: 70000 }, { port: "80" }, { address: "999.1.1.1" }, { address: "fe80::1%eth0" }, { address: "; rm -rf /" }, {}, { port: 1, host: "x" }, "5201"],
      maxFlows: 0,
      other: 1,
    });
    assert.equal(r.problems.length, 11, r.problems.join("\n"));
    assert.deepEqual(r.value.flows, []);
    const ok = parseTcpInfoOptions({ flows: [{ port: 5201 }, { address: "127.0.0.1", port: 22 }], maxFlows: 4 });
    assert.deepEqual(ok, { value: { flows: [{ port: 5201 }, { port: 22, address: "127.0.0.1" }], maxFlows: 4, minIntervalMs: 500, backend: "auto" }, problems: [] });
    assert.deepEqual(parseTcpInfoOptions({}).value, { flows: [], maxFlows: 16, minIntervalMs: 500, backend: "auto" });
    assert.equal(parseTcpInfoOptions({ backend: "ss" }).value.backend, "ss");
    assert.deepEqual(parseTcpInfoOptions({ backend: "netlink" }).problems, ['backend: expected one of auto, sockdiag, ss, got "netlink"']);
  });
});

describe("tcpinfo: parseSs", () => {
  it("parses the live iperf3 capture", () => {
    const ss = parseSs(fixture("cmd", "live-t0", "ss-tinH.txt"));
    assert.deepEqual(ss.errors, []);
    assert.equal(ss.flows.length, 4);
    const bulk = flow(ss.flows, "127.0.0.1:48294");
    assert.equal(bulk.remote, "127.0.0.1:5201");
    assert.equal(bulk.remotePort, 5201);
    assert.equal(bulk.state, "ESTAB");
    assert.equal(bulk.sendQBytes, 1638400n);
    assert.equal(bulk.congestion, "bbr");
    const i = bulk.info;
    assert.equal(i.rtt_ns, 24_000n);
    assert.equal(i.rttvar_ns, 7_000n);
    assert.equal(i.rto_ns, 204_000_000n);
    assert.equal(i.minrtt_ns, 3_000n);
    assert.equal(i.cwnd, 14n);
    assert.equal(i.ssthresh, 8n);
    assert.equal(i.mss_bytes, 65483n);
    assert.equal(i.sent_bytes_total, 5712969182n);
    assert.equal(i.acked_bytes_total, 5712117798n);
    assert.equal(i.data_segs_out_total, 129548n);
    assert.equal(i.send_rate_bits_per_s, 305587333333);
    assert.equal(i.delivery_rate_bits_per_s, 71436000000);
    assert.equal(i.busy_ns_total, 1512n * 1_000_000n);
    assert.equal(i.rwnd_limited_ns_total, 12n * 1_000_000n);
    assert.equal(i.unacked, 14n);
    assert.equal(i.notsent_bytes, 1638983n);
    assert.equal(i.reordering, 6n);
    assert.equal(i.app_limited, true);
    // printed by ss only when non-zero / != 3: implied on an info line
    assert.equal(i.retrans_total, 0n);
    assert.equal(i.lost, 0n);
    assert.equal(flow(ss.flows, "127.0.0.1:48292").info.unacked, 0n);
    assert.equal(flow(ss.flows.filter((f) => f.recvQBytes === 0n), "[::ffff:127.0.0.1]:5201").info.reordering, 5n);
    assert.equal(i.sndbuf_limited_ns_total, undefined);
    const server = flow(ss.flows, "[::ffff:127.0.0.1]:5201");
    assert.ok(server.remote === "[::ffff:127.0.0.1]:48292" || server.remote === "[::ffff:127.0.0.1]:48294");
    assert.equal(flow(ss.flows.filter((f) => f.recvQBytes > 0n), "[::ffff:127.0.0.1]:5201").info.rcv_rtt_ns, 20_000n);
  });

  it("reads human rates (ss without -n) as bits/s", () => {
    const ss = parseSs(fixture("cmd", "live-t0", "ss-tiH-human.txt"));
    const f = flow(ss.flows, "127.0.0.1:48292");
    assert.equal(f.info.send_rate_bits_per_s, 110e9);
    assert.equal(f.info.delivery_rate_bits_per_s, 26.2e9);
    const shaped = parseSs(fixture("cmd", "shaped-cubic", "ss-tiH-human.txt"));
    const cubic = shaped.flows.find((x) => x.congestion === "cubic" && x.localPort !== 5201);
    assert.equal(cubic?.info.send_rate_bits_per_s, 100e6);
    assert.equal(cubic?.info.mss_bytes, 1448n);
    assert.equal(parseSs("ESTAB 0 0 1.2.3.4:1 1.2.3.4:2\n\t cubic pacing_rate 1Gbps/2Gbps\n").flows[0]?.info.pacing_rate_bits_per_s, 1e9);
    assert.deepEqual([parseRate("300Mbps"), parseRate("1.2Gbps"), parseRate("750bps"), parseRate("381Kbps"), parseRate("2Tbps")], [3e8, 1.2e9, 750, 381e3, 2e12]);
    assert.deepEqual([parseRate("12Xbps"), parseRate("bps"), parseRate("-1bps")], [undefined, undefined, undefined]);
    assert.deepEqual([msToNs("0.05"), msToNs("2"), msToNs("x"), msToNs("1e3")], [50_000n, 2_000_000n, undefined, undefined]);
  });

  it("parses retransmissions, loss, sndbuf limits, flags and IPv6 endpoints (documented format)", () => {
    const ss = parseSs(fixture("cmd", "variants", "ss-retrans.txt"));
    assert.deepEqual(ss.errors, []);
    const lossy = flow(ss.flows, "192.0.2.10:43512").info;
    assert.equal(lossy.retrans_inflight, 2n);
    assert.equal(lossy.retrans_total, 30n);
    assert.equal(lossy.lost, 2n);
    assert.equal(lossy.retrans_bytes_total, 43440n);
    assert.equal(lossy.sndbuf_limited_ns_total, 300_000_000n);
    assert.equal(lossy.rtt_ns, 11_250_000n);
    assert.equal(lossy.rttvar_ns, 3_500_000n);
    assert.equal(lossy.minrtt_ns, 10_100_000n);
    assert.equal(lossy.pacing_rate_bits_per_s, 20.6e6);
    assert.equal(lossy.app_limited, false);
    assert.equal(flow(ss.flows, "192.0.2.10:43512").congestion, "cubic");
    const syn = flow(ss.flows, "[2001:db8::1]:40000");
    assert.equal(syn.state, "SYN-SENT");
    assert.equal(syn.remotePort, 443);
    const scoped = flow(ss.flows, "[fe80::1]%eth0:22");
    assert.equal(scoped.localPort, 22);
    assert.equal(scoped.info.delivery_rate_bits_per_s, 0);
    // notsent is implied 0 on a line with minrtt (both Linux 4.6); without minrtt it stays absent
    assert.deepEqual([lossy.notsent_bytes, scoped.info.notsent_bytes, syn.info.notsent_bytes], [0n, 0n, undefined]);
  });

  it("reports a truncated last line and keeps the flows", () => {
    const ss = parseSs(fixture("cmd", "variants", "ss-truncated.txt"));
    assert.equal(ss.flows.length, 2);
    assert.match(ss.errors[0] ?? "", /bad send rate ""/);
  });

  it("reports malformed values and keeps the rest of the flow", () => {
    const ss = parseSs(fixture("cmd", "variants", "ss-bad-values.txt"));
    assert.equal(ss.flows[0]?.info.cwnd, 10n);
    assert.equal(ss.flows[0]?.info.rto_ns, undefined);
    assert.match(ss.errors[0] ?? "", /bad rto "abc"; bad rtt "0.1\/x"; bad send rate "12Xbps"; bad busy "5ms\("/);
  });

  it("throws ParseError on garbage; empty output is no flows", () => {
    assert.throws(() => parseSs(fixture("cmd", "variants", "ss-garbage.txt")), ParseError);
    assert.deepEqual(parseSs(""), { flows: [], errors: [] });
  });
});

describe("tcpinfo: sampler (ss backend)", () => {
  const options = { flows: [{ port: 5201 }], backend: "ss" };

  it("runs ss with the filter argv and emits tcp_flow points, then per-flow rates", async () => {
    const s = tcpinfoSampler();
    const t0 = fixtureExec("live-t0");
    const first = await s.sample(ctx(liveFs(0), T0, { exec: t0.exec, options }));
    assert.deepEqual(t0.calls, [{ file: "ss", args: ssArgs([{ port: 5201 }]) }]);
    assert.equal(first.points.length, 4);
    const p0 = pointWith(first.points, "tcp_flow", "local", "127.0.0.1:48294");
    assert.deepEqual(p0.tags, { agent_id: "test-agent", host: "test-host", netns: "test-ns", local: "127.0.0.1:48294", remote: "127.0.0.1:5201", state: "ESTAB" });
    assert.equal(p0.fields["rtt_ns"], 24_000n);
    assert.equal(p0.fields["send_q_bytes"], 1638400n);
    assert.equal(p0.fields["acked_bytes_per_s"], undefined);
    const second = await s.sample(ctx(liveFs(1), T0 + SECOND, { exec: fixtureExec("live-t1").exec, options }));
    const p1 = pointWith(second.points, "tcp_flow", "local", "127.0.0.1:48294");
    assert.equal(p1.fields["acked_bytes_per_s"], 10603724732 - 5712117798);
    assert.equal(p1.fields["retrans_total"], 2n); // "retrans:0/2" in live-t1, absent (0) in live-t0
    assert.equal(p1.fields["retrans_per_s"], 2);
    assert.ok(allFinite(second.points));
  });

  it("keeps at most maxFlows, deterministically, and says so", async () => {
    const r = await tcpinfoSampler().sample(ctx(liveFs(0), T0, { exec: fixtureExec("live-t0").exec, options: { ...options, maxFlows: 2 } }));
    assert.deepEqual(r.points.map((p) => p.tags["local"]), ["127.0.0.1:48292", "127.0.0.1:48294"]);
    assert.deepEqual(r.errors, ["tcpinfo: 4 sockets matched, kept 2 (maxFlows)"]);
  });

  it("emits nothing and runs nothing without flows", async () => {
    const rec = fixtureExec("live-t0");
    assert.deepEqual(await tcpinfoSampler().sample(ctx(liveFs(0), T0, { exec: rec.exec })), { points: [] });
    assert.equal(rec.calls.length, 0);
  });

  it("reports sockets without TCP_INFO", async () => {
    const exec = async () => ({ stdout: fixture("cmd", "variants", "ss-no-info.txt"), stderr: "" });
    const r = await tcpinfoSampler().sample(ctx(liveFs(0), T0, { exec, options }));
    assert.equal(r.points.length, 2);
    assert.match(r.errors?.[0] ?? "", /no TCP_INFO .*inet_diag/);
  });

  it("init (backend ss): unavailable when ss is missing; ConfigError on bad flows", async () => {
    const missing = fixtureExec("live-t0", ["ss"]);
    assert.deepEqual(await tcpinfoSampler().init?.(ctx(liveFs(0), T0, { exec: missing.exec, options })), { available: false, reason: "unavailable: ss not found" });
    await assert.rejects(tcpinfoSampler().init?.(ctx(liveFs(0), T0, { options: { flows: [{ port: -1 }] } })) ?? Promise.reject(), ConfigError);
  });
});

describe("tcpinfo: real ss on a loopback connection", () => {
  let server: Server;
  let client: Socket;
  let port = 0;

  before(async function () {
    await requireTool(this, "ss", ["-V"]);
    server = createServer();
    const accepted = once(server, "connection");
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
    client = connect(port, "127.0.0.1");
    await once(client, "connect");
    const [peer] = (await accepted) as [Socket];
    let received = 0;
    const all = new Promise<void>((resolve) =>
      peer.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received >= 64 * 1024) resolve();
      }),
    );
    client.write(Buffer.alloc(64 * 1024, 1));
    await all;
  });

  after(() => {
    client?.destroy();
    server?.close();
  });

  it("finds the flow by port with a positive rtt", async () => {
    const s = tcpinfoSampler();
    const c = ctx(hostFs(), T0, { exec: realExec, options: { flows: [{ port, address: "127.0.0.1" }], backend: "ss" } });
    assert.deepEqual(await s.init?.(c), { available: true });
    const r = await s.sample(c);
    const mine = r.points.filter((p) => p.tags["remote"]?.endsWith(`:${port}`));
    assert.equal(mine.length, 1, JSON.stringify(r, (_, v) => (typeof v === "bigint" ? String(v) : v)));
    const p = mine[0]!;
    assert.equal(p.tags["local"], `127.0.0.1:${client.localPort}`);
    assert.equal(p.tags["state"], "ESTAB");
    assert.ok(typeof p.fields["rtt_ns"] === "bigint" && p.fields["rtt_ns"] > 0n);
    assert.ok(typeof p.fields["sent_bytes_total"] === "bigint" && p.fields["sent_bytes_total"] >= 64n * 1024n);
    assert.ok(r.points.every((x) => x.tags["local"]?.endsWith(`:${port}`) || x.tags["remote"]?.endsWith(`:${port}`)));
  });

  it("held: captures read the flow, decodes made later give its points at the captures' times, with rates between them", async () => {
    const s = tcpinfoSampler();
    const options = { flows: [{ port, address: "127.0.0.1" }], backend: "ss", minIntervalMs: 0 };
    const at = (t: bigint) => ctx(hostFs(), t, { exec: realExec, options, intervalMs: 100 });
    assert.ok(s.capture && s.decode, "tcpinfo splits its tick");
    const first = await s.capture(at(T0));
    client.write(Buffer.alloc(256 * 1024, 2));
    await new Promise((r) => setTimeout(r, 100));
    const second = await s.capture(at(T0 + 100_000_000n));
    assert.ok(first.bytes > 0 && second.bytes > first.bytes - 1);
    const mine = (r: { points: Sample[] }) => r.points.filter((p) => p.tags["remote"]?.endsWith(`:${port}`));
    const p1 = mine(await s.decode(first, at(T0)));
    const p2 = mine(await s.decode(second, at(T0 + 100_000_000n)));
    assert.equal(p1.length, 1);
    assert.equal(p2.length, 1);
    assert.equal(p1[0]!.timeNs, T0);
    assert.equal(p2[0]!.timeNs, T0 + 100_000_000n);
    assert.equal(p1[0]!.fields["acked_bytes_per_s"], undefined, "no rate from a first read");
    const sent1 = p1[0]!.fields["sent_bytes_total"] as bigint;
    const sent2 = p2[0]!.fields["sent_bytes_total"] as bigint;
    assert.ok(sent2 - sent1 >= 256n * 1024n, `the second capture saw the later bytes (${sent1} -> ${sent2})`);
    assert.equal(typeof p2[0]!.fields["acked_bytes_per_s"], "number", "a rate between the two captures");
  });
});
