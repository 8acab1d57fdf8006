// A run's windows corrected by the agents' clock offsets (collector/src/run/clock.ts).
import assert from "node:assert/strict";
import type { Estimate } from "../../../collector/src/clock/filter.ts";
import { onAgentClock, planClocks, toCollectorClock, widened } from "../../../collector/src/run/clock.ts";
import type { EndpointData } from "../../../collector/src/run/types.ts";

const MS = 1_000_000n;
const known = (offsetMs: bigint, uncertaintyMs: bigint): Estimate => ({ known: true, offsetNs: offsetMs * MS, uncertaintyNs: uncertaintyMs * MS, delayNs: 0n, samples: 8, ageNs: 0n });

describe("run clock plan", () => {
  const estimates: Record<string, Estimate> = {
    good: known(2n, 1n),
    ahead: known(3000n, 4n),
    vague: known(500n, 5000n),
    lost: { known: false, reason: "no round trip yet" },
  };
  const plan = planClocks(["good", "ahead", "vague", "lost"], (a) => estimates[a] as Estimate);

  it("applies known offsets, not vague or unknown ones, and says so per agent", () => {
    assert.deepEqual(
      plan.record.agents.map((a) => [a.agent_id, a.corrected, a.applied_offset_ms]),
      [["good", true, 2], ["ahead", true, 3000], ["vague", false, 0], ["lost", false, 0]],
    );
    assert.equal(plan.record.agents[3]?.offset_ms, null);
    assert.match(plan.record.agents[2]?.reason ?? "", /uncertainty 5000.0 ms over 2000 ms/);
    assert.equal(plan.record.widened_ms, 4);
    assert.equal(plan.record.bound_ms, 100);
  });

  it("warns over the bound and for unknown offsets, not for a clock within it", () => {
    const w = plan.warnings.join("\n");
    assert.match(w, /ahead's clock is off the collector's by \+3000.0 ms \(\+- 4.0 ms\), over the 100 ms bound: its samples were moved/);
    assert.match(w, /vague's clock is off .* over the 100 ms bound: its samples are uncorrected/);
    assert.match(w, /offset of lost unknown \(no round trip yet\)/);
    assert.doesNotMatch(w, /good/);
  });

  it("reads an agent over the window on its clock and moves its times back", () => {
    const w = widened({ fromNs: 10_000n * MS, toNs: 20_000n * MS }, plan);
    assert.deepEqual(w, { fromNs: 9_996n * MS, toNs: 20_004n * MS });
    assert.deepEqual(onAgentClock(w, plan, "ahead"), { fromNs: 12_996n * MS, toNs: 23_004n * MS });
    assert.deepEqual(onAgentClock(w, plan, "lost"), w);
    const series = { measurement: "netdev", tags: { interface: "eth0" }, columns: ["time", "tx_bytes_total"], values: [[13_000n * MS, 1n], [23_000n * MS, 5n]], truncated: false };
    const data: EndpointData = { agentId: "ahead", netdev: [series], cpu: [], tcp: [], flows: [] };
    assert.deepEqual(toCollectorClock(data, plan).netdev[0]?.values, [[10_000n * MS, 1n], [20_000n * MS, 5n]]);
  });

  it("without a clock source, every agent is unknown and uncorrected", () => {
    const p = planClocks(["a"], undefined);
    assert.equal(p.record.agents[0]?.corrected, false);
    assert.match(p.warnings[0] ?? "", /estimates no clock offsets/);
  });
});
