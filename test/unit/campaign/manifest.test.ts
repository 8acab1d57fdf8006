import assert from "node:assert/strict";
import { manifestDiff, manifestsDiff } from "../../../collector/src/campaign/manifest.ts";
import { manifest } from "./helpers.ts";

describe("manifest diff", () => {
  it("nothing changed", () => {
    assert.deepEqual(manifestDiff(manifest("a"), manifest("a")), { changed: [], changes: [] });
  });

  it("names each changed field with its key, in a fixed field order", () => {
    const before = manifest("a");
    const after = manifest("a", {
      congestion: "bbr",
      qemu_version: null,
      kernel: "6.12.0-1-amd64",
      offloads: { eth0: { "tx-checksumming": false, "generic-receive-offload": true }, eth1: { "tx-checksumming": true } },
      mtu: { eth0: 9000 },
      qdisc: {},
    });
    const d = manifestDiff(before, after);
    assert.deepEqual(d.changed, ["kernel", "qemu_version", "offloads", "congestion", "qdisc", "mtu"]);
    assert.deepEqual(d.changes, [
      { agent_id: "a", field: "kernel", key: "", before: "6.1.0-28-amd64", after: "6.12.0-1-amd64" },
      { agent_id: "a", field: "qemu_version", key: "", before: "7.2.15", after: null },
      { agent_id: "a", field: "offloads", key: "eth0/tx-checksumming", before: true, after: false },
      { agent_id: "a", field: "offloads", key: "eth1/tx-checksumming", before: null, after: true },
      { agent_id: "a", field: "congestion", key: "", before: "cubic", after: "bbr" },
      { agent_id: "a", field: "qdisc", key: "eth0", before: "fq_codel", after: null },
      { agent_id: "a", field: "mtu", key: "eth0", before: 1500, after: 9000 },
    ]);
  });

  it("sets of agents: matched by id; an agent on one side only is an agent change", () => {
    const d = manifestsDiff([manifest("a"), manifest("b")], [manifest("b", { iperf3_version: "iperf 3.18", agent_version: "0.2.0" }), manifest("c")]);
    assert.deepEqual(d.changed, ["agent", "iperf3_version", "agent_version"]);
    assert.deepEqual(
      d.changes.map((c) => [c.agent_id, c.field, c.before, c.after]),
      [
        ["a", "agent", "present", null],
        ["b", "iperf3_version", "iperf 3.12", "iperf 3.18"],
        ["b", "agent_version", "0.1.0", "0.2.0"],
        ["c", "agent", null, "present"],
      ],
    );
  });
});
