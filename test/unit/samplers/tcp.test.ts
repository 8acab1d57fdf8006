import assert from "node:assert/strict";
import { ParseError } from "@eastwest/common";
import { mergeSnmp, parseSnmp } from "../../../agent/src/samplers/tcp/tcp.parse.ts";
import { TCP_FIELDS } from "../../../agent/src/samplers/tcp/tcp.fields.ts";
import { tcpSampler } from "../../../agent/src/samplers/tcp/tcp.sampler.ts";
import { SECOND, T0, allFinite, ctx, fixture, liveFs, mapFs, pointWith } from "./helpers.ts";

/** The value of `group`.`name` read straight from the fixture text, independently of the parser. */
function fixtureValue(text: string, group: string, name: string): bigint {
  const pair = text.split("\n").filter((l) => l.startsWith(`${group}: `));
  const names = pair[0]?.split(/\s+/).slice(1) ?? [];
  const values = pair[1]?.split(/\s+/).slice(1) ?? [];
  const i = names.indexOf(name);
  assert.ok(i >= 0, `${group}.${name} in fixture`);
  return BigInt(values[i] as string);
}

describe("tcp: parseSnmp", () => {
  const snmpText = fixture("proc", "live-t0", "net", "snmp");
  const netstatText = fixture("proc", "live-t0", "net", "netstat");

  it("parses every group of snmp and netstat generically", () => {
    const snmp = parseSnmp(snmpText, "snmp");
    assert.deepEqual([...snmp.groups.keys()], ["Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", "UdpLite"]);
    assert.equal(snmp.groups.get("Tcp")?.get("InSegs"), 1726784n);
    assert.equal(snmp.groups.get("Tcp")?.get("MaxConn"), -1n);
    const netstat = parseSnmp(netstatText, "netstat");
    assert.deepEqual([...netstat.groups.keys()], ["TcpExt", "IpExt", "MPTcpExt"]);
    for (const name of ["TCPOrigDataSent", "TCPRcvCoalesce", "TCPDelivered", "TCPAutoCorking"]) {
      assert.equal(netstat.groups.get("TcpExt")?.get(name), fixtureValue(netstatText, "TcpExt", name), name);
    }
    assert.equal(netstat.groups.get("IpExt")?.get("InOctets"), fixtureValue(netstatText, "IpExt", "InOctets"));
    assert.deepEqual([...snmp.errors, ...netstat.errors], []);
  });

  it("every selected counter exists on this kernel", () => {
    const all = mergeSnmp(parseSnmp(snmpText, "snmp"), parseSnmp(netstatText, "netstat"));
    for (const [group, name] of TCP_FIELDS) assert.ok(all.groups.get(group)?.has(name), `${group}.${name}`);
  });

  it("reports a truncated value line and keeps the other groups", () => {
    const snmp = parseSnmp(fixture("proc", "variants", "net", "snmp-truncated"), "snmp");
    assert.ok(snmp.groups.has("Tcp"));
    assert.ok(!snmp.groups.has("Udp"));
    assert.match(snmp.errors[0] ?? "", /Udp: 9 names but 3 values/);
  });

  it("reports a header without values and a bad value; throws on garbage", () => {
    const r = parseSnmp("Tcp: A B\nTcp: 1 x\nUdp: C\nIp: D\nIp: 4\n", "t");
    assert.deepEqual([...r.groups.keys()], ["Ip"]);
    assert.equal(r.errors.length, 2);
    assert.throws(() => parseSnmp(fixture("proc", "variants", "net", "snmp-garbage"), "snmp"), ParseError);
    assert.throws(() => parseSnmp("", "snmp"), ParseError);
  });
});

describe("tcp: sampler", () => {
  it("emits tcp, udp and ip totals, then segment and retransmit rates", async () => {
    const s = tcpSampler();
    const first = await s.sample(ctx(liveFs(0), T0));
    assert.deepEqual(first.points.map((p) => p.measurement), ["tcp", "udp", "ip"]);
    const tcp0 = pointWith(first.points, "tcp");
    assert.equal(tcp0.fields["in_segs_total"], 1726784n);
    assert.equal(tcp0.fields["curr_estab"], 4n);
    assert.equal(tcp0.fields["in_segs_per_s"], undefined);
    assert.deepEqual(first.errors, []);

    const second = await s.sample(ctx(liveFs(1), T0 + SECOND));
    const tcp1 = pointWith(second.points, "tcp");
    assert.equal(tcp1.fields["in_segs_per_s"], 1901784 - 1726784);
    assert.equal(tcp1.fields["out_segs_per_s"], 1898698 - 1723700);
    assert.equal(tcp1.fields["retrans_segs_per_s"], 2);
    assert.equal(tcp1.fields["retrans_segs_pct"], (2 * 100) / (1898698 - 1723700));
    const t0 = fixture("proc", "live-t0", "net", "netstat");
    const t1 = fixture("proc", "live-t1", "net", "netstat");
    const inBytes = fixtureValue(t1, "IpExt", "InOctets") - fixtureValue(t0, "IpExt", "InOctets");
    assert.equal(pointWith(second.points, "ip").fields["in_bytes_per_s"], Number(inBytes));
    assert.ok(allFinite(second.points));
  });

  it("says once which selected counters an older kernel lacks", async () => {
    const s = tcpSampler();
    const files = { "net/snmp": "Tcp: InSegs OutSegs\nTcp: 5 6\n", "net/netstat": "TcpExt: ListenDrops\nTcpExt: 1\n" };
    const first = await s.sample(ctx(mapFs(files), T0));
    assert.ok(first.errors?.some((e) => e.includes("TcpExt.TCPDelivered not provided")));
    assert.equal(pointWith(first.points, "tcp").fields["listen_drops_total"], 1n);
    const second = await s.sample(ctx(mapFs(files), T0 + SECOND));
    assert.deepEqual(second.errors, []);
  });
});
