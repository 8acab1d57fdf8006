import assert from "node:assert/strict";
import { measurement, type Sample } from "@eastwest/common";
import { PAPER_CONSTANTS } from "../../../collector/src/model/cost-model.ts";
import { correlate } from "../../../collector/src/run/correlate.ts";
import { fmtBits, fmtTimeNs, formatRun } from "../../../collector/src/run/format.ts";
import { runPoints } from "../../../collector/src/run/points.ts";
import { SECOND, T0, endpoint, iperfSummary, spec } from "./helpers.ts";

const empty = (agentId: string) => ({ agentId, netdev: [], cpu: [], tcp: [], flows: [] });
const base = { spec: spec(), window: { fromNs: T0, toNs: T0 + 10n * SECOND }, constants: { ...PAPER_CONSTANTS } };
const full = correlate({ ...base, iperf: iperfSummary(8e9), server: endpoint("srv", "rx", 1.07e9), client: endpoint("cli", "tx", 1e9) });
const bare = correlate({ ...base, iperf: iperfSummary(8e9), server: empty("srv"), client: empty("cli") });

/** Tags exactly the measurement's; fields known, floats as finite numbers. */
function conforms(p: Sample): void {
  const def = measurement(p.measurement);
  assert.ok(def, p.measurement);
  assert.deepEqual(Object.keys(p.tags).sort(), [...def.tags].sort(), p.measurement);
  for (const v of Object.values(p.tags)) assert.equal(typeof v, "string");
  for (const [k, v] of Object.entries(p.fields)) {
    assert.equal(def.fields[k], "float", `${p.measurement}.${k}`);
    assert.ok(typeof v === "number" && Number.isFinite(v), `${p.measurement}.${k} = ${String(v)}`);
  }
}

describe("run report", () => {
  it("renders header, the table per end, flows, breakdown, efficiency and warnings", () => {
    const text = formatRun({ id: "run-1", agents: ["srv", "cli", "hv"], results: full });
    const lines = text.split("\n");
    assert.equal(lines[0], "run run-1: cli -> srv (forward), server srv, client cli");
    assert.equal(lines[1], "agents: srv, cli, hv");
    assert.equal(lines[2], "window: 2026-11-26T11:49:16.000Z .. 2026-11-26T11:49:26.000Z (10.0 s)");
    assert.match(text, /^metric +server +client +iperf3$/m);
    assert.match(text, /^throughput +8\.56 Gbit\/s +8\.00 Gbit\/s +8\.00 Gbit\/s received$/m);
    assert.match(text, /^ +\+7 % vs iperf3 +0 % vs iperf3 +8\.00 Gbit\/s sent$/m);
    assert.match(text, /^interface +eth0 rx \(busiest\) +eth0 tx \(busiest\)$/m);
    assert.match(text, /^cpu softirq +5\.0 % +5\.0 %$/m);
    assert.match(text, /^retransmits +0 RetransSegs +20 RetransSegs +20$/m);
    assert.match(text, /^  client 10\.0\.0\.1:40000 -> 10\.0\.0\.2:5201 \(ESTAB\): cwnd 20, rtt 50 us, retrans 10, delivery 8\.00 Gbit\/s$/m);
    assert.match(text, /^cost model per 65,536 B packet \(model version 1\):$/m);
    assert.match(text, /^syscalls +1 +derived +0\.5 us +0\.5 us$/m);
    assert.match(text, /^efficiency: 12 % of the 67\.2 Gbit\/s ceiling \(8\.00 Gbit\/s measured by iperf3\)$/m);
    assert.match(text, /^  - netdev throughput at server agent srv \(eth0 rx\) differs from iperf3 by \+7 %$/m);
    assert.ok(!text.endsWith("\n"));
  });

  it("renders a run without samples with dashes, and a record read back from JSON", () => {
    const text = formatRun({ results: bare });
    assert.match(text, /^throughput +- +- +8\.00 Gbit\/s received$/m);
    assert.match(text, /^warnings:$/m);
    assert.equal(fmtTimeNs(T0.toString()), "2026-11-26T11:49:16.000Z");
    assert.equal(fmtTimeNs(Number(T0)), "2026-11-26T11:49:16.000Z");
    assert.equal(fmtTimeNs("soon"), "-");
    assert.equal(fmtBits(99_983_589.99), "100.0 Mbit/s");
  });
});

describe("run points", () => {
  it("writes run, run_endpoint and cost_breakdown points within the schema", () => {
    const points = runPoints(full);
    assert.deepEqual(points.map((p) => p.measurement), ["run", "run_endpoint", "run_endpoint", "cost_breakdown"]);
    for (const p of points) {
      conforms(p);
      assert.equal(p.timeNs, T0 + 10n * SECOND);
      assert.equal(p.tags.run_id, "run-1");
    }
    const [run, server, client, cost] = points as [Sample, Sample, Sample, Sample];
    assert.deepEqual(run.tags, { run_id: "run-1", server_agent_id: "srv", client_agent_id: "cli", direction: "forward", protocol: "TCP", congestion: "cubic", model_version: "1" });
    assert.equal(run.fields.iperf3_receiver_bits_per_s, 8e9);
    assert.equal(run.fields.sender_agreement, 1);
    assert.equal(run.fields.warning_count, full.warnings.length);
    assert.deepEqual(server.tags, { run_id: "run-1", agent_id: "srv", host: "srv-host", side: "server", role: "receiver", interface: "eth0" });
    assert.equal(client.fields.netdev_bits_per_s, 8e9);
    assert.equal(client.fields.retrans_segs, 20);
    assert.equal(client.fields.iperf3_cpu_pct, 30);
    assert.deepEqual([cost.tags.agent_id, cost.tags.syscalls_source, cost.tags.exits_source], ["srv", "derived", "none"]);
  });

  it("leaves out the figures a run without samples does not have", () => {
    const points = runPoints(bare, 5n);
    for (const p of points) conforms(p);
    const [run, server] = points as [Sample, Sample];
    assert.equal("netdev_sender_bits_per_s" in run.fields, false);
    assert.equal("user_pct" in server.fields, false);
    assert.equal(server.tags.interface, "");
    assert.equal(run.timeNs, 5n);
  });
});
