// The VM lab's one-shot forms: `eastwest demo --vm` (one run between the guests) and `eastwest campaign run SPEC
// --lab vm` (a campaign between them), each building the lab, using it and removing it: nothing of it is left.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseExact } from "../../../collector/src/store/json.ts";
import type { CampaignRecord } from "../../../collector/src/campaign/runner.ts";
import type { RunRecord } from "../../../collector/src/run/runner.ts";
import { requireBinary, start, tempDir } from "../../helpers/procs.ts";
import { receiverWire } from "./vm-lab.helpers.ts";

const SPEC = `
name: vm-oneshot
baseline: { name: default, streams: 1, direction: forward }
duration_s: 3
sample_interval_ms: 500
profile: false
repetitions: { min: 2, max: 2, ci_target_pct: 50, confidence: 0.95 }
mode: one_at_a_time
cells:
  - { name: checksum offload off, set: { tx_checksum: off } }
`;

/** What a VM lab makes on this host: its links, its guests' QEMU processes, its subnet locks. */
function labThings(): Set<string> {
  const out = new Set<string>();
  for (const l of execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).split("\n")) {
    const name = l.split(":")[1]?.trim().split("@")[0];
    if (name?.startsWith("ewv")) out.add(`link ${name}`);
  }
  for (const l of execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n")) {
    const m = /guest=(ewv-[^,\s]+)/.exec(l);
    if (m) out.add(`qemu ${m[1]}`);
  }
  const locks = "/run/lock/eastwest-lab-vm";
  if (existsSync(locks)) for (const f of readdirSync(locks)) out.add(`lock ${f}`);
  return out;
}

const added = (before: Set<string>) => [...labThings()].filter((x) => !before.has(x));

describe("VM lab, one-shot: demo --vm and campaign run --lab vm", function () {
  this.timeout(900_000);
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    for (const b of ["qemu-system-x86_64", "ip", "iperf3", "ethtool", "apt-get", "dpkg-deb", "ldd"]) requireBinary(b);
    assert.equal(process.getuid?.(), 0, "the VM lab needs root (bridge, taps)");
    dir = tempDir("vm-oneshot");
  });
  after(() => dir?.remove());

  it("demo --vm: one run between the guests, with the host side, then nothing left", async () => {
    const before = labThings();
    const p = start(["demo", "--vm", "--duration-s", "5", "--json", "--data", join(dir.path, "demo.db")]);
    assert.equal(await p.exited, 0, p.stderr().slice(-3000) + p.stdout().slice(-2000));
    const json = p.stdout().slice(p.stdout().indexOf("\n{") + 1, p.stdout().lastIndexOf("\n}") + 2);
    const rec = parseExact(json) as RunRecord;
    assert.equal(rec.hostSide?.vms?.length, 2, JSON.stringify(rec.hostSide));
    for (const vm of rec.hostSide?.vms ?? []) assert.equal(vm.guest_agents.length, 1);
    // netdev's payload lies between what iperf3's receiver read and what its sender wrote, within 2 % (receiverWire)
    const wire = receiverWire(rec.results!);
    assert.ok(wire.ok, `netdev outside what iperf3 read and sent: ${wire.detail}`);
    assert.deepEqual(added(before), []);
  });

  it("campaign run SPEC --lab vm: checksum off between the guests, restored and verified, then nothing left", async () => {
    const spec = join(dir.path, "spec.yaml");
    writeFileSync(spec, SPEC);
    const before = labThings();
    const p = start(["campaign", "run", spec, "--lab", "vm", "--json", "--data", join(dir.path, "campaign.db")]);
    assert.equal(await p.exited, 0, p.stderr().slice(-3000));
    const rec = parseExact(p.stdout()) as CampaignRecord;
    assert.equal(rec.status, "done");
    assert.equal(rec.cells.length, 2);
    const off = rec.cells.find((c) => c.cell.id === "tx-checksum-off");
    assert.ok(off, JSON.stringify(rec.cells.map((c) => c.cell.id)));
    assert.equal(off.restores.length, 2, "both guests restored");
    for (const r of off.restores) assert.ok(r.ok && r.verified, `restore on ${r.agentId}: ${r.detail}`);
    assert.deepEqual(added(before), []);
  });
});
