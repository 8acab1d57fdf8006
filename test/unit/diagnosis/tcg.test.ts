// The diagnosis of runs between TCG guests (the VM lab; test/fixtures/diagnosis/tcg, recorded with their CPU
// profiles): the emulated vCPU is the limit, exits cannot be told (TCG has no KVM exits), and checksum offload off
// is named at the sender with its measured cost, against the default run as a campaign would compare them.
import assert from "node:assert/strict";
import { diagnose } from "../../../collector/src/diagnosis/engine.ts";
import { brief } from "../../../collector/src/campaign/explain.ts";
import { diagnoseCampaign } from "../../../collector/src/campaign/explain-campaign.ts";
import { runTermsOf } from "../../../collector/src/campaign/explain-terms.ts";
import { findingOf, loadFixture, loadTcg, TCG } from "./fixture.ts";

const fx = Object.fromEntries(TCG.map((n) => [n, loadTcg(n)])) as Record<(typeof TCG)[number], ReturnType<typeof loadTcg>>;
const d = Object.fromEntries(TCG.map((n) => [n, diagnose(fx[n].record, fx[n].samples)])) as Record<(typeof TCG)[number], ReturnType<typeof diagnose>>;

describe("diagnosis: runs between TCG guests", () => {
  it("the fixtures are TCG runs with a host side and both ends profiled", () => {
    for (const n of TCG) {
      const vms = (fx[n].record as { hostSide?: { vms?: Array<{ accel: string; exits_reason: string | null }> } }).hostSide?.vms ?? [];
      assert.equal(vms.length, 2, n);
      assert.ok(vms.every((v) => v.accel === "tcg" && v.exits_reason === "tcg: no KVM exits"), JSON.stringify(vms));
      // gro-gso-off's guests were starved while it ran: its profile has under 100 samples per end (cannot tell)
      if (n !== "gro-gso-off") assert.ok(runTermsOf(fx[n].record)?.sender && runTermsOf(fx[n].record)?.receiver, `${n}: both ends profiled`);
    }
  });

  it("default: a guest's single vCPU is saturated; exits cannot be told under TCG; offloads and packet size are fine", () => {
    const cpu = findingOf(d.default, "cpu-saturated");
    assert.equal(cpu.verdict, "bottleneck");
    assert.match(cpu.explanation, /CPUs are 100 % busy/);
    assert.equal(findingOf(d.default, "exits").verdict, "cannot tell");
    assert.match(findingOf(d.default, "exits").explanation, /tcg: no KVM exits/);
    for (const rule of ["offloads", "packet-size", "cpu-terms", "netdev-agreement"]) assert.equal(findingOf(d.default, rule).verdict, "ruled out", rule);
    assert.equal(findingOf(d.default, "cpu-terms").key?.value, 0);
  });

  it("checksum off: offloads is the bottleneck at the sender with the measured checksum cost; 1.5 kB packets at the receiver", () => {
    const off = findingOf(d["checksum-off"], "offloads");
    assert.deepEqual([off.verdict, off.end, off.key?.unit], ["bottleneck", "sender", "us per packet measured"]);
    assert.match(off.explanation, /measured: checksum \d+ % of the sender's iperf3 CPU, [\d.]+ us per packet/);
    const size = findingOf(d["checksum-off"], "packet-size");
    assert.deepEqual([size.verdict, size.end], ["contributing", "receiver"]);
    assert.ok(size.key!.value! < 2000, String(size.key?.value));
    // the checksum is a small share of an emulated guest's CPU: the rule says so instead of calling it a cost
    const terms = findingOf(d["checksum-off"], "cpu-terms");
    assert.equal(terms.verdict, "ruled out");
    assert.ok(terms.key!.value! > 0 && terms.key!.value! < 3, String(terms.key?.value));
  });

  it("GRO+GSO off: packets stay large; offloads and the profile cannot tell, each saying why (a starved TCG guest)", () => {
    const g = d["gro-gso-off"];
    // the guests' ethtool -k did not answer within the 200 ms ticks of the run: the rows in the window have no
    // offload fields, and the older ones predate the cell's change: the rule must not read either as "on"
    assert.equal(findingOf(g, "offloads").verdict, "cannot tell");
    assert.match(findingOf(g, "offloads").explanation, /^netstate \(offloads\) unavailable: sender eth0: its newest netstate row up to the window's end has no offload fields \(ethtool -k did not answer\); receiver eth0: /);
    assert.ok(findingOf(g, "packet-size").verdict === "ruled out" && findingOf(g, "packet-size").key!.value! > 50_000);
    assert.match(findingOf(g, "cpu-terms").explanation, /^CPU profile unavailable: receiver: \d+ samples \(< 100\); sender: \d+ samples \(< 100\)$/);
  });

  it("tx-nocache-copy on a TCG guest: ruled out (no cache is emulated), and its copies measured cheaper than the default's", () => {
    const f = findingOf(d["tx-nocache-copy"], "offloads");
    assert.equal(f.verdict, "ruled out");
    assert.match(f.explanation, /tx-nocache-copy on at the sender, a TCG guest: no cache is emulated/);
    const copies = (n: "default" | "tx-nocache-copy") => runTermsOf(fx[n].record)!.sender!.us.copies!;
    assert.ok(copies("tx-nocache-copy") < copies("default") / 2, `${copies("default")} -> ${copies("tx-nocache-copy")}`);
    // the same setting between namespaces (a real cache) stays contributing
    assert.equal(findingOf(diagnose(loadFixture("tx-nocache-copy").record, loadFixture("tx-nocache-copy").samples), "offloads").verdict, "contributing");
  });

  it("as a campaign cell against the default: explained by offloads and packet size, with the stack's cost per packet up", () => {
    const cell = (id: string, n: (typeof TCG)[number], verdict: "worse" | null) => ({ cell_id: id, name: id, baseline_id: "baseline", is_baseline: verdict === null, verdict, delta_pct: verdict ? -67 : null, runs: [brief(d[n])], terms: [runTermsOf(fx[n].record)!] });
    const c = diagnoseCampaign([cell("baseline", "default", null), cell("csum", "checksum-off", "worse")]).cells[0]!;
    assert.equal(c.status, "explained");
    assert.deepEqual(c.explained_by.filter((r) => r !== "measured terms").sort(), ["offloads", "packet-size"]);
    assert.ok(c.term_changes.some((t) => t.term === "stack" && t.direction === "adverse"), JSON.stringify(c.term_changes));
  });
});
