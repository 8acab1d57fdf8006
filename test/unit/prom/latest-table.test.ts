// The agent's newest-sample table behind --metrics-listen (agent/src/metrics/latest.ts): newest wins, bounded,
// stale rows forgotten, series-key order.
import assert from "node:assert/strict";
import type { Sample } from "@eastwest/common";
import { LatestTable } from "../../../agent/src/metrics/latest.ts";

const s = (iface: string, timeNs: bigint, rx: bigint): Sample => ({ measurement: "netdev", tags: { agent_id: "a", host: "h", netns: "", interface: iface }, fields: { rx_bytes_total: rx }, timeNs });

describe("agent metrics: latest table", () => {
  it("keeps the newest sample of each series, whatever the arrival order", () => {
    const t = new LatestTable(10);
    t.observe([s("lo", 2n, 20n), s("lo", 1n, 10n), s("eth0", 1n, 5n)]);
    t.observe([s("lo", 3n, 30n)]);
    const rows = t.snapshot(undefined);
    assert.deepEqual(rows.map((r) => [r.tags["interface"], r.fields["rx_bytes_total"]]), [["eth0", 5n], ["lo", 30n]]);
  });

  it("keeps at most maxSeries series and counts the samples it refused", () => {
    const t = new LatestTable(2);
    t.observe([s("a", 1n, 1n), s("b", 1n, 1n), s("c", 1n, 1n), s("a", 2n, 2n), s("d", 1n, 1n)]);
    assert.equal(t.size, 2);
    assert.equal(t.refused, 2n);
    assert.equal(t.snapshot(undefined)[0]?.fields["rx_bytes_total"], 2n, "a known series still updates");
  });

  it("forgets series older than the bound, which frees room for new ones", () => {
    const t = new LatestTable(2);
    t.observe([s("a", 1n, 1n), s("b", 5n, 1n)]);
    assert.deepEqual(t.snapshot(3n).map((r) => r.tags["interface"]), ["b"]);
    t.observe([s("c", 6n, 1n)]);
    assert.equal(t.size, 2);
    assert.equal(t.refused, 0n);
  });
});
