// The run report's flows (iperf3's control connection labelled, not listed as a data flow) and its one named
// packet rate per notion (the interface's packets against the model's 64 KiB packets).
import assert from "node:assert/strict";
import { PAPER_CONSTANTS } from "../../../collector/src/model/cost-model.ts";
import { correlate } from "../../../collector/src/run/correlate.ts";
import { CONTROL_MAX_BYTES, flowBytes, flowKind } from "../../../collector/src/run/flows.ts";
import { formatRun } from "../../../collector/src/run/format.ts";
import type { FlowSnapshot } from "../../../collector/src/run/results.ts";
import { SECOND, T0, endpoint, iperfSummary, spec } from "./helpers.ts";

const flow = (local: string, fields: FlowSnapshot["fields"]): FlowSnapshot => ({ local, remote: "10.0.0.2:5201", state: "ESTAB", time_ns: T0, fields });

describe("run flows", () => {
  const data = flow("10.0.0.1:40002", { acked_bytes_total: 9_000_000_000n, cwnd: 20n });
  const control = flow("10.0.0.1:39999", { sent_bytes_total: 310n, received_bytes_total: 1_204n, cwnd: 10n });

  it("labels a flow of a few kB beside a bulk one as control; unknown bytes or a lone small run stay data", () => {
    assert.equal(flowBytes(control), 1204);
    assert.equal(flowKind(control, [control, data]), "control");
    assert.equal(flowKind(data, [control, data]), "data");
    assert.equal(flowKind(control, [control]), "data", "nothing larger: no reason to call it control");
    assert.equal(flowKind(control, [control], 1e10), "control", "the run's payload counts as larger");
    assert.equal(flowKind(flow("a", { cwnd: 1n }), [data]), "data");
    const medium = flow("b", { acked_bytes_total: BigInt(CONTROL_MAX_BYTES) });
    assert.equal(flowKind(medium, [medium, data]), "data");
    assert.equal(flowKind(flow("c", { acked_bytes_total: 5e8 }), [data]), "data");
  });

  it("the report lists data flows and labels iperf3's control connection", () => {
    const r = correlate({ spec: spec(), window: { fromNs: T0, toNs: T0 + 10n * SECOND }, constants: { ...PAPER_CONSTANTS }, iperf: iperfSummary(8e9), server: endpoint("srv", "rx", 1.07e9), client: endpoint("cli", "tx", 1e9) });
    r.client.flows.push(control);
    const text = formatRun({ id: "run-1", results: r });
    assert.match(text, /^  client 10\.0\.0\.1:39999 -> 10\.0\.0\.2:5201: control \(iperf3's control connection, 1,204 B: no bulk data\)$/m);
    assert.doesNotMatch(text, /39999 -> 10\.0\.0\.2:5201 \(ESTAB\)/);
    assert.match(text, /^  client 10\.0\.0\.1:40000 -> 10\.0\.0\.2:5201 \(ESTAB\): cwnd 20/m);
  });

  it("names both packet rates: the interface's, and the model's 64 KiB packets, and they agree with the breakdown", () => {
    const r = correlate({ spec: spec(), window: { fromNs: T0, toNs: T0 + 10n * SECOND }, constants: { ...PAPER_CONSTANTS }, iperf: iperfSummary(8e9), server: endpoint("srv", "rx", 1.07e9), client: endpoint("cli", "tx", 1e9) });
    const text = formatRun({ results: r });
    assert.match(text, /^interface packets\/s +[\d,]+ +[\d,]+$/m);
    assert.match(text, /^interface bytes\/packet +[\d,]+ B +[\d,]+ B$/m);
    assert.doesNotMatch(text, /^packets\/s /m);
    // 8e9 bit/s / 8 / 65,536 B = 15,259 packets of 64 KiB per second
    assert.match(text, /counts 64 KiB packets\/s: iperf3's 8\.00 Gbit\/s \/ 65,536 B = 15,259 64 KiB packets\/s\./);
    assert.match(text, /^measured per packet +65\.54 us \(1 \/ 15,259 64 KiB packets\/s\)$/m);
  });
});
