import assert from "node:assert/strict";
import { ConfigError, ParseError } from "@eastwest/common";
import { NETDEV_COLUMNS, parseNetDev } from "../../../agent/src/samplers/netdev/netdev.parse.ts";
import { netdevSampler } from "../../../agent/src/samplers/netdev/netdev.sampler.ts";
import { SECOND, T0, allFinite, ctx, fixture, liveFs, mapFs, pointWith } from "./helpers.ts";

describe("netdev: parseNetDev", () => {
  it("parses every interface of the live capture", () => {
    const text = fixture("proc", "live-t0", "net", "dev");
    const dev = parseNetDev(text);
    assert.deepEqual(dev.interfaces.map((i) => i.interface), ["lo", "ifb0", "ifb1", "eth0"]);
    assert.deepEqual(dev.errors, []);
    const lo = dev.interfaces[0]?.counters;
    assert.equal(lo?.rx_bytes, 47203059180n);
    assert.equal(lo?.tx_packets, 1719635n);
    // every column of the eth0 line, in order
    const eth0Line = text.split("\n").find((l) => l.trim().startsWith("eth0:")) ?? "";
    const expected = eth0Line.split(":")[1]?.trim().split(/\s+/).map(BigInt);
    assert.deepEqual(NETDEV_COLUMNS.map((c) => dev.interfaces[3]?.counters[c]), expected);
  });

  it("accepts an old kernel's 'eth0:123' without a space", () => {
    const dev = parseNetDev(`eth0:123 4 0 0 0 0 0 0 567 8 0 0 0 0 0 0\n`);
    assert.equal(dev.interfaces[0]?.counters.rx_bytes, 123n);
    assert.equal(dev.interfaces[0]?.counters.tx_bytes, 567n);
  });

  it("reports a truncated last line and keeps the rest", () => {
    const dev = parseNetDev(fixture("proc", "variants", "net", "dev-truncated"));
    assert.deepEqual(dev.interfaces.map((i) => i.interface), ["lo", "ifb0"]);
    assert.match(dev.errors[0] ?? "", /truncated line for ifb1/);
  });

  it("throws ParseError on garbage, reports a bad value", () => {
    assert.throws(() => parseNetDev(fixture("proc", "variants", "net", "dev-garbage")), ParseError);
    const dev = parseNetDev("Inter-|\n face |\n lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 -1\n");
    assert.equal(dev.interfaces.length, 0);
    assert.match(dev.errors[0] ?? "", /bad tx_compressed for lo/);
  });
});

describe("netdev: sampler", () => {
  it("emits totals first, then byte and packet rates", async () => {
    const s = netdevSampler();
    const first = await s.sample(ctx(liveFs(0), T0));
    assert.equal(first.points.length, 4);
    const lo0 = pointWith(first.points, "netdev", "interface", "lo");
    assert.equal(lo0.fields["rx_bytes_total"], 47203059180n);
    assert.equal(lo0.fields["rx_bytes_per_s"], undefined);

    const second = await s.sample(ctx(liveFs(1), T0 + 2n * SECOND));
    const lo1 = pointWith(second.points, "netdev", "interface", "lo");
    assert.equal(lo1.fields["rx_bytes_per_s"], (52138616348 - 47203059180) / 2);
    assert.equal(lo1.fields["tx_packets_per_s"], (1894611 - 1719635) / 2);
    assert.equal(pointWith(second.points, "netdev", "interface", "eth0").fields["rx_bytes_per_s"], 0);
    assert.ok(allFinite(second.points));
  });

  it("filters interfaces by name and by /regex/", async () => {
    const r = await netdevSampler().sample(ctx(liveFs(0), T0, { options: { interfaces: ["lo", "/ifb[0-9]+/"] } }));
    assert.deepEqual(r.points.map((p) => p.tags["interface"]).sort(), ["ifb0", "ifb1", "lo"]);
    const anchored = await netdevSampler().sample(ctx(liveFs(0), T0, { options: { interfaces: ["/ifb/"] } }));
    assert.equal(anchored.points.length, 0, "a regex must match the whole name");
  });

  it("refuses bad options, all at once", async () => {
    await assert.rejects(netdevSampler().sample(ctx(liveFs(0), T0, { options: { interfaces: ["/(/", 3], extra: true } })), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 3);
      return true;
    });
  });

  it("a counter that went backwards yields no rate, not a spike", async () => {
    const s = netdevSampler();
    const line = (rx: number) => `Inter-|\n face |\n  veth0: ${rx} 10 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n`;
    await s.sample(ctx(mapFs({ "net/dev": line(5000) }), T0));
    const r = await s.sample(ctx(mapFs({ "net/dev": line(100) }), T0 + SECOND));
    const p = pointWith(r.points, "netdev", "interface", "veth0");
    assert.equal(p.fields["rx_bytes_total"], 100n);
    assert.equal(p.fields["rx_bytes_per_s"], undefined);
    assert.equal(p.fields["rx_packets_per_s"], 0);
  });
});
