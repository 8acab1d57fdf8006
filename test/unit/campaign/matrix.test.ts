import assert from "node:assert/strict";
import fc from "fast-check";
import { cellCount, expandCells, settingsByAgent, toWireSetting } from "../../../collector/src/campaign/matrix.ts";
import { parseCampaignSpec } from "../../../collector/src/campaign/spec.ts";
import type { CampaignSpec, Matrix } from "../../../collector/src/campaign/types.ts";
import { fixture, yamlSpec } from "./helpers.ts";

const both = (setting: object) => [
  { agentId: "vm-b", setting },
  { agentId: "vm-a", setting },
];
const feature = (name: string, value: string) => ({ kind: "ethtool_feature", target: "eth0", name, value });
const cc = (value: string) => ({ kind: "sysctl", target: "net.ipv4.tcp_congestion_control", value });

describe("campaign matrix: the study's Table 1", () => {
  const spec = parseCampaignSpec(fixture("table1.yaml"), "yaml");
  const cells = expandCells(spec);

  it("expands to the baseline, the congestion variants, then the named cells", () => {
    assert.deepEqual(
      cells.map((c) => [c.id, c.name]),
      [
        ["baseline", "default (GRO + GSO on)"],
        ["congestion-reno", "cc reno"],
        ["congestion-bic", "cc bic"],
        ["congestion-vegas", "cc vegas"],
        ["congestion-cdg", "cc cdg"],
        ["congestion-bbr", "cc bbr"],
        ["tx-checksum-off", "checksum offload off"],
        ["gro-off", "GRO off"],
        ["gso-off", "GSO off"],
        ["gro-gso-off", "GRO + GSO off"],
        ["tx-nocache-copy-on", "tx-nocache-copy on"],
        ["bbr-bidir", "BBR both directions"],
      ],
    );
    assert.equal(cellCount(spec), cells.length);
  });

  it("the baseline changes nothing and runs the spec's parameters", () => {
    const b = cells[0]!;
    assert.equal(b.isBaseline, true);
    assert.deepEqual(b.changes, {});
    assert.deepEqual(b.settings, []);
    assert.deepEqual(b.run, {
      server: { agentId: "vm-b", interface: "eth0" },
      client: { agentId: "vm-a", interface: "eth0" },
      serverAddress: "10.231.0.12",
      port: 5201,
      durationS: 10,
      streams: 1,
      lengthBytes: 0,
      congestion: "",
      direction: "forward",
      sampleIntervalMs: 200,
    });
    assert.ok(cells.every((c) => c.baselineId === "baseline" && c.pair === 0 && c.isBaseline === (c.id === "baseline")));
  });

  it("offloads are set on both endpoints' interfaces, server first", () => {
    const byId = new Map(cells.map((c) => [c.id, c]));
    assert.deepEqual(byId.get("tx-checksum-off")!.settings, both(feature("tx-checksumming", "off")));
    assert.deepEqual(byId.get("gro-off")!.settings, both(feature("generic-receive-offload", "off")));
    assert.deepEqual(byId.get("gso-off")!.settings, both(feature("generic-segmentation-offload", "off")));
    assert.deepEqual(byId.get("tx-nocache-copy-on")!.settings, both(feature("tx-nocache-copy", "on")));
    assert.deepEqual(byId.get("gro-gso-off")!.settings, [
      { agentId: "vm-b", setting: feature("generic-segmentation-offload", "off") },
      { agentId: "vm-b", setting: feature("generic-receive-offload", "off") },
      { agentId: "vm-a", setting: feature("generic-segmentation-offload", "off") },
      { agentId: "vm-a", setting: feature("generic-receive-offload", "off") },
    ]);
  });

  it("congestion control is a sysctl on both ends and iperf3's -C; BBR bidir runs both directions", () => {
    const bbr = cells.find((c) => c.id === "congestion-bbr")!;
    assert.deepEqual(bbr.settings, both(cc("bbr")));
    assert.equal(bbr.run.congestion, "bbr");
    const bidir = cells.find((c) => c.id === "bbr-bidir")!;
    assert.deepEqual(bidir.changes, { congestion: "bbr", direction: "bidir" });
    assert.deepEqual(bidir.settings, both(cc("bbr")));
    assert.equal(bidir.run.direction, "bidir");
  });

  it("is deterministic", () => {
    assert.deepEqual(expandCells(parseCampaignSpec(fixture("table1.yaml"), "yaml")), cells);
  });

  it("groups settings per agent and gives their wire form", () => {
    const gg = cells.find((c) => c.id === "gro-gso-off")!;
    assert.deepEqual(
      settingsByAgent(gg).map((g) => [g.agentId, g.settings.length]),
      [
        ["vm-b", 2],
        ["vm-a", 2],
      ],
    );
    assert.deepEqual(toWireSetting(feature("tx-checksumming", "off") as never), { kind: "ethtool_feature", target: "eth0", name: "tx-checksumming", value: "off" });
    assert.deepEqual(toWireSetting({ kind: "mtu", target: "eth0", value: "9000" }), { kind: "mtu", target: "eth0", name: "", value: "9000" });
  });
});

describe("campaign matrix: modes, ends, pairs", () => {
  it("cartesian: every combination, baseline-equal run parameters dropped from ids and changes", () => {
    const spec = parseCampaignSpec(yamlSpec("mode: cartesian\nmatrix: { gro: [on, off], streams: [1, 4] }"), "yaml");
    const cells = expandCells(spec);
    assert.deepEqual(
      cells.map((c) => c.id),
      ["baseline", "gro-on", "gro-on_streams-4", "gro-off", "gro-off_streams-4"],
    );
    assert.deepEqual(cells[2]!.changes, { gro: "on", streams: 4 });
    assert.equal(cells[2]!.run.streams, 4);
    assert.equal(cells[1]!.run.streams, 1);
  });

  it("one at a time skips a run-parameter value equal to the baseline's", () => {
    const spec = parseCampaignSpec(yamlSpec("matrix: { direction: [forward, reverse, bidir], mtu: [9000], qdisc: [fq] }"), "yaml");
    const cells = expandCells(spec);
    assert.deepEqual(
      cells.map((c) => c.id),
      ["baseline", "qdisc-fq", "mtu-9000", "direction-reverse", "direction-bidir"],
    );
    assert.deepEqual(cells[1]!.settings, [
      { agentId: "srv", setting: { kind: "qdisc", target: "eth1", value: "fq" } },
      { agentId: "cli", setting: { kind: "qdisc", target: "eth0", value: "fq" } },
    ]);
    assert.deepEqual(cells[2]!.settings[0], { agentId: "srv", setting: { kind: "mtu", target: "eth1", value: "9000" } });
    assert.deepEqual(cells[3]!.settings, []);
  });

  it("apply_on picks the ends; one agent at both ends gets each setting once", () => {
    const server = expandCells(parseCampaignSpec(yamlSpec("apply_on: server\nmatrix: { gro: [off] }"), "yaml"));
    assert.deepEqual(server[1]!.settings, [{ agentId: "srv", setting: { kind: "ethtool_feature", target: "eth1", name: "generic-receive-offload", value: "off" } }]);
    const text = "name: lo\nendpoints:\n  - { server: { agentId: a, interface: lo }, client: { agentId: a, interface: lo }, serverAddress: 127.0.0.1 }\ncells:\n  - { name: c, set: { tx_checksum: off }, apply_on: client }\n  - { name: d, set: { gro: off } }";
    const cells = expandCells(parseCampaignSpec(text, "yaml"));
    assert.deepEqual(cells[1]!.settings, [{ agentId: "a", setting: { kind: "ethtool_feature", target: "lo", name: "tx-checksumming", value: "off" } }]);
    assert.equal(cells[2]!.settings.length, 1);
  });

  it("several pairs: each pair has its baseline first and prefixed ids", () => {
    const text = [
      "name: two",
      "endpoints:",
      "  - { name: p0, server: { agentId: s0, interface: e0 }, client: { agentId: c0, interface: e0 }, serverAddress: 10.0.0.1 }",
      "  - { name: p1, server: { agentId: s1, interface: e1 }, client: { agentId: c1, interface: e1 }, serverAddress: 10.0.1.1, port: 5301 }",
      "matrix: { tso: [off] }",
    ].join("\n");
    const cells = expandCells(parseCampaignSpec(text, "yaml"));
    assert.deepEqual(
      cells.map((c) => [c.id, c.baselineId, c.pair]),
      [
        ["p0.baseline", "p0.baseline", 0],
        ["p0.tso-off", "p0.baseline", 0],
        ["p1.baseline", "p1.baseline", 1],
        ["p1.tso-off", "p1.baseline", 1],
      ],
    );
    assert.equal(cells[3]!.run.port, 5301);
    assert.deepEqual(cells[3]!.settings[0], { agentId: "s1", setting: { kind: "ethtool_feature", target: "e1", name: "tcp-segmentation-offload", value: "off" } });
  });
});

describe("campaign matrix: properties", () => {
  const base = parseCampaignSpec(yamlSpec(), "yaml");
  const sub = <T>(xs: readonly T[]) => fc.subarray([...xs], { minLength: 0, maxLength: xs.length });
  const matrix: fc.Arbitrary<Matrix> = fc.record(
    {
      gro: sub(["on", "off"] as const),
      congestion: sub(["cubic", "bbr", "reno"]),
      mtu: sub([1500, 9000]),
      streams: sub([1, 2, 4]),
      direction: sub(["forward", "reverse", "bidir"] as const),
    },
    { requiredKeys: [] },
  );

  it("cellCount equals the expansion's length; ids are unique; the baseline is first", () => {
    fc.assert(
      fc.property(matrix, fc.constantFrom("cartesian", "one_at_a_time") as fc.Arbitrary<CampaignSpec["mode"]>, (m, mode) => {
        const clean = Object.fromEntries(Object.entries(m).filter(([, v]) => (v as unknown[]).length > 0)) as Matrix;
        const spec: CampaignSpec = { ...base, mode, matrix: clean };
        const cells = expandCells(spec);
        assert.equal(cells.length, cellCount(spec));
        assert.equal(new Set(cells.map((c) => c.id)).size, cells.length);
        assert.equal(cells[0]!.id, "baseline");
        assert.ok(cells.slice(1).every((c) => Object.keys(c.changes).length > 0));
      }),
    );
  });
});
