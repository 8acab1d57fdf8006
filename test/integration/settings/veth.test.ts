// Settings on a real veth pair this test creates in the host namespace (and deletes in after()): apply,
// check with ethtool/tc/ip, restore, and compare the full `ethtool -k`, `tc qdisc show` and MTU with the
// snapshot; rollback after a failed step; restore from the journal after a "crash".
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandError, silentLogger } from "@eastwest/common";
import type { Setting } from "@eastwest/proto";
import { SettingsError, SettingsKeeper } from "../../../agent/src/actions/settings/settings.keeper.ts";
import { realExec, type Exec } from "../../../agent/src/runtime/exec.ts";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { requireBinary } from "../../helpers/procs.ts";

const tag = String(process.pid % 100000);
const A = `ews${tag}a`;
const B = `ews${tag}b`;

function run(file: string, ...args: string[]): string {
  return execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } });
}

interface HostView {
  ethtool: string;
  qdisc: string;
  mtu: number;
}

function view(): HostView {
  const link = JSON.parse(run("ip", "-j", "link", "show", "dev", A)) as Array<{ mtu: number }>;
  return { ethtool: run("ethtool", "-k", A), qdisc: run("tc", "qdisc", "show", "dev", A), mtu: link[0]?.mtu ?? -1 };
}

function feature(text: string, name: string): string | undefined {
  return new RegExp(`^${name}: (\\S+)`, "m").exec(text)?.[1];
}

/** fq when this kernel has sch_fq, else pfifo (a kernel without fq refuses it with "qdisc kind is unknown"). */
function qdiscKind(): string {
  try {
    run("tc", "qdisc", "replace", "dev", A, "root", "fq");
    run("tc", "qdisc", "del", "dev", A, "root");
    return "fq";
  } catch {
    return "pfifo";
  }
}

function removeLink(): void {
  try {
    run("ip", "link", "del", A);
  } catch {
    /* not there */
  }
}

describe("settings on a real veth (root)", function () {
  this.timeout(60_000);
  let dir: string;
  let kind: string;
  let cell: Setting[];
  const deps = (exec: Exec = realExec) => ({ exec, fs: hostFs(), logger: silentLogger() });

  before(function () {
    for (const tool of ["ip", "ethtool", "tc"]) requireBinary(tool);
    assert.equal(process.getuid?.(), 0, "this test needs root (ip link, ethtool -K, tc)");
    removeLink();
    run("ip", "link", "add", A, "type", "veth", "peer", "name", B);
    run("ip", "link", "set", A, "up");
    run("ip", "link", "set", B, "up");
    kind = qdiscKind();
    const gro = feature(view().ethtool, "generic-receive-offload") === "on" ? "off" : "on";
    cell = [
      { kind: "ethtool_feature", target: A, name: "tx-checksumming", value: "off" },
      { kind: "ethtool_feature", target: A, name: "gro", value: gro },
      { kind: "qdisc", target: A, name: "", value: kind },
      { kind: "mtu", target: A, name: "", value: "9000" },
    ];
  });

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "eastwest-settings-it-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  after(removeLink);

  it(`applies tx off, gro, a root qdisc and MTU 9000, then restores exactly`, async () => {
    const before = view();
    const keeper = new SettingsKeeper(dir);
    const applied = await keeper.apply({ token: "cell-a", settings: cell }, deps());
    const during = view();
    assert.equal(feature(during.ethtool, "tx-checksumming"), "off");
    assert.equal(feature(during.ethtool, "generic-receive-offload"), cell[1]?.value);
    assert.match(during.qdisc, new RegExp(`^qdisc ${kind} [0-9a-f]+: root`));
    assert.equal(during.mtu, 9000);
    assert.deepEqual(applied.settings.map((s) => s.applied), ["off", cell[1]?.value, kind, "9000"]);
    const restored = await keeper.restore("cell-a", deps());
    assert.equal(restored.verified, true, JSON.stringify(restored));
    assert.deepEqual(view(), before, "ethtool -k, tc qdisc show and the MTU are exactly as before");
    assert.equal((await keeper.restore("cell-a", deps())).state, "already-restored");
  });

  it("rolls back the applied settings when a later step fails", async () => {
    const before = view();
    const failingTc: Exec = async (file, args, options) => {
      if (file === "tc" && args[1] === "replace") throw new CommandError("tc: exited 2", 2, "Error: injected failure\n");
      return realExec(file, args, options);
    };
    const keeper = new SettingsKeeper(dir);
    const err = await keeper.apply({ token: "cell-b", settings: cell }, deps(failingTc)).catch((e: unknown) => e);
    assert.ok(err instanceof SettingsError, String(err));
    assert.match(err.message, /settings\[2\] \(qdisc .*\) failed: tc: exited 2; every setting was restored to its snapshot \(verified\)$/);
    assert.deepEqual(view(), before);
    assert.deepEqual(readdirSync(join(dir, readdirSync(dir)[0] ?? "")), [], "the journal is removed once verified");
  });

  it("restores from the journal when the applying keeper is gone (agent crash, restart)", async () => {
    const before = view();
    await new SettingsKeeper(dir).apply({ token: "cell-c", settings: cell }, deps());
    assert.equal(view().mtu, 9000);
    const reports = await new SettingsKeeper(dir).restoreJournals(deps());
    assert.deepEqual(reports.map((r) => [r.token, r.state, r.verified]), [["cell-c", "restored", true]]);
    assert.deepEqual(view(), before);
  });
});
