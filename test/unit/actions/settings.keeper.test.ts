// Snapshot -> apply -> restore against a simulated host (ethtool, tc, ip, modprobe, /sys, /proc): argument
// arrays, read-back, rollback, verification, the journal and crash restore, the dispatcher wiring.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandError, silentLogger } from "@eastwest/common";
import type { ApplySettings, Setting } from "@eastwest/proto";
import { handleCommand } from "../../../agent/src/actions/dispatch.ts";
import { compilePolicy } from "../../../agent/src/actions/policy.ts";
import { actionsDefaults } from "../../../agent/src/actions/policy.schema.ts";
import { restorePending } from "../../../agent/src/actions/settings/settings.action.ts";
import { journalFileName } from "../../../agent/src/actions/settings/settings.journal.ts";
import { SettingsError, SettingsKeeper } from "../../../agent/src/actions/settings/settings.keeper.ts";
import type { Exec } from "../../../agent/src/runtime/exec.ts";
import type { HostFs } from "../../../agent/src/runtime/hostfs.ts";

const BOOT = "6a1c3e6e-0000-4000-8000-000000000001";
const SHORT: Record<string, string> = {
  tx: "tx-checksumming", rx: "rx-checksumming", sg: "scatter-gather", tso: "tcp-segmentation-offload",
  gso: "generic-segmentation-offload", gro: "generic-receive-offload", lro: "large-receive-offload",
};
type F = { name: string; on: boolean; fixed?: boolean; parent?: string };
const VETH: F[] = [
  { name: "rx-checksumming", on: true }, { name: "tx-checksumming", on: true },
  { name: "tx-checksum-ipv4", on: false, fixed: true, parent: "tx-checksumming" }, { name: "tx-checksum-ip-generic", on: true, parent: "tx-checksumming" },
  { name: "tx-checksum-sctp", on: true, parent: "tx-checksumming" }, { name: "generic-receive-offload", on: false },
  { name: "large-receive-offload", on: false, fixed: true }, { name: "tx-nocache-copy", on: false },
];
const fail = (msg: string, stderr = ""): CommandError => new CommandError(msg, 1, stderr);

/** A host of one veth `v0`: tools answer from and change this model; every tool run is recorded. */
class FakeHost {
  features: F[] = VETH.map((f) => ({ ...f }));
  mtu = 1500;
  qdisc = { kind: "noqueue", handle: "0:", options: "" };
  proc = new Map([["sys/net/ipv4/tcp_congestion_control", "cubic\n"], ["sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456\n"], ["sys/kernel/random/boot_id", `${BOOT}\n`]]);
  cc = ["reno", "cubic"];
  calls: string[][] = [];
  /** Throws for the argv it returns an error for (once per call). */
  failOn: (argv: string[]) => Error | undefined = () => undefined;

  exec: Exec = async (file, args) => {
    const argv = [file, ...args];
    this.calls.push(argv);
    const err = this.failOn(argv);
    if (err) throw err;
    return { stdout: this.#run(argv), stderr: "" };
  };

  #run(a: string[]): string {
    const key = a.join(" ");
    if (key === "ethtool -k v0") {
      const line = (f: F): string => `${f.parent ? "\t" : ""}${f.name}: ${f.on ? "on" : "off"}${f.fixed ? " [fixed]" : ""}`;
      return `Features for v0:\n${this.features.map(line).join("\n")}\n`;
    }
    if (a[0] === "ethtool" && a[1] === "-K" && a[2] === "v0") return this.#ethtoolSet(a.slice(3));
    if (key === "tc qdisc show dev v0") return `qdisc ${this.qdisc.kind} ${this.qdisc.handle} root refcnt 2 ${this.qdisc.options}\n`;
    if (key.startsWith("tc qdisc replace dev v0 root ")) {
      if (!["pfifo", "noqueue", "fq"].includes(a[6] ?? "")) throw fail("tc: exited 2", "Error: Specified qdisc kind is unknown.\n");
      this.qdisc = { kind: a[6] as string, handle: "8001:", options: a[6] === "pfifo" ? "limit 1000p" : "" };
      return "";
    }
    if (key === "tc qdisc del dev v0 root") {
      if (this.qdisc.handle === "0:") throw fail("tc: exited 2", "Error: Cannot delete qdisc with handle of zero.\n");
      this.qdisc = { kind: "noqueue", handle: "0:", options: "" };
      return "";
    }
    if (key.startsWith("ip link set dev v0 mtu ")) this.mtu = Number(a[6]);
    else if (key === "modprobe tcp_vegas") this.cc.push("vegas");
    else if (key === "modprobe -r tcp_vegas") this.cc = this.cc.filter((c) => c !== "vegas");
    else if (key !== "modprobe -n -q tcp_vegas") throw fail(`unexpected: ${key}`);
    return "";
  }

  #ethtoolSet(pairs: string[]): string {
    for (let i = 0; i < pairs.length; i += 2) {
      const name = SHORT[pairs[i] as string] ?? (pairs[i] as string);
      const on = pairs[i + 1] === "on";
      const f = this.features.find((x) => x.name === name);
      if (f === undefined || f.fixed) throw fail("ethtool: Could not change any device features");
      f.on = on;
      for (const sub of this.features) if (sub.parent === name && !sub.fixed) sub.on = on;
    }
    for (const top of this.features.filter((f) => f.parent === undefined)) {
      const subs = this.features.filter((f) => f.parent === top.name && !f.fixed);
      if (subs.length > 0) top.on = subs.some((s) => s.on);
    }
    return "";
  }

  fs: HostFs = {
    procRoot: "(fake)",
    sysRoot: "(fake)",
    proc: async (rel) => (rel === "sys/net/ipv4/tcp_available_congestion_control" ? `${this.cc.join(" ")}\n` : this.#file(this.proc.get(rel), rel)),
    sys: async (rel) => this.#file(rel === "class/net/v0/mtu" ? `${this.mtu}\n` : undefined, rel),
    sysDir: async (rel) => (rel === "class/net" ? ["lo", "v0"] : this.#file<string[]>(undefined, rel)),
    procDir: async (rel) => this.#file<string[]>(undefined, rel),
    procLink: async (rel) => (rel === "self/ns/net" ? "net:[4026531840]" : this.#file<string>(undefined, rel)),
  };

  #file<T>(v: T | undefined, rel: string): T {
    if (v === undefined) throw Object.assign(new Error(`ENOENT: ${rel}`), { code: "ENOENT" });
    return v;
  }

  writeProc = async (rel: string, text: string): Promise<void> => {
    if (rel.endsWith("tcp_congestion_control") && !this.cc.includes(text.trim())) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
    this.proc.set(rel, text);
  };

  deps(signal?: AbortSignal) {
    return { exec: this.exec, fs: this.fs, logger: silentLogger(), writeProc: this.writeProc, ...(signal ? { signal } : {}) };
  }

  state(): string {
    return JSON.stringify([this.features, this.mtu, this.qdisc, [...this.proc], this.cc]);
  }

  /** Tool runs that change something. */
  changes(): string[] {
    return this.calls.filter((c) => !(c[1] === "-k" || c[2] === "show" || c[1] === "-n")).map((c) => c.join(" "));
  }
}

const S = (kind: string, target: string, name: string, value: string): Setting => ({ kind, target, name, value });
const CELL: ApplySettings = {
  token: "cell-1",
  settings: [
    S("ethtool_feature", "v0", "tx", "off"), S("ethtool_feature", "v0", "gro", "on"), S("qdisc", "v0", "", "fq"), S("mtu", "v0", "", "9000"),
    S("sysctl", "net.ipv4.tcp_rmem", "", "4096 262144 8388608"),
  ],
};

describe("settings keeper (simulated host)", () => {
  let dir: string;
  let host: FakeHost;
  let keeper: SettingsKeeper;
  const journals = (): string[] => (existsSync(join(dir, "net-4026531840")) ? readdirSync(join(dir, "net-4026531840")) : []);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "eastwest-settings-"));
    host = new FakeHost();
    keeper = new SettingsKeeper(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("applies in order with argument arrays, restores, verifies; a second restore is a no-op", async () => {
    const initial = host.state();
    const applied = await keeper.apply(CELL, host.deps());
    assert.deepEqual(host.changes(), ["ethtool -K v0 tx off", "ethtool -K v0 gro on", "tc qdisc replace dev v0 root fq", "ip link set dev v0 mtu 9000"]);
    assert.equal(host.proc.get("sys/net/ipv4/tcp_rmem"), "4096 262144 8388608\n");
    assert.deepEqual(applied, {
      token: "cell-1", state: "applied", warnings: [],
      settings: [
        { kind: "ethtool_feature", target: "v0", name: "tx-checksumming", value: "off", before: "on", applied: "off" },
        { kind: "ethtool_feature", target: "v0", name: "generic-receive-offload", value: "on", before: "off", applied: "on" },
        { kind: "qdisc", target: "v0", name: "", value: "fq", before: "noqueue (default)", applied: "fq" },
        { kind: "mtu", target: "v0", name: "", value: "9000", before: "1500", applied: "9000" },
        { kind: "sysctl", target: "net.ipv4.tcp_rmem", name: "", value: "4096 262144 8388608", before: "4096 131072 6291456", applied: "4096 262144 8388608" },
      ],
    });
    assert.deepEqual(journals(), [journalFileName("cell-1")]);
    host.calls = [];
    const restored = await keeper.restore("cell-1", host.deps());
    assert.deepEqual(
      host.changes(),
      ["ip link set dev v0 mtu 1500", "tc qdisc del dev v0 root", "ethtool -K v0 gro off", "ethtool -K v0 tx on"],
      "newest first; the default qdisc comes back by delete",
    );
    assert.equal(host.state(), initial.replace("4096\\t131072\\t6291456\\n", "4096 131072 6291456\\n"));
    assert.equal(restored.state, "restored");
    assert.equal(restored.verified, true);
    assert.deepEqual(restored.settings.map((s) => [s.before, s.applied, s.restored, s.verified]), [
      ["on", "off", "on", true], ["off", "on", "off", true], ["noqueue (default)", "fq", "noqueue (default)", true], ["1500", "9000", "1500", true],
      ["4096 131072 6291456", "4096 262144 8388608", "4096 131072 6291456", true],
    ]);
    assert.deepEqual(journals(), []);
    host.calls = [];
    assert.deepEqual(await keeper.restore("cell-1", host.deps()), { token: "cell-1", state: "already-restored", verified: true, settings: [] });
    assert.deepEqual(await keeper.restore("never", host.deps()), { token: "never", state: "unknown", verified: true, settings: [] });
    assert.deepEqual(host.calls, []);
  });

  it("rolls back what was applied when a step fails, and says why", async () => {
    const initial = host.state();
    const settings = [S("mtu", "v0", "", "9000"), S("ethtool_feature", "v0", "tx", "off"), S("qdisc", "v0", "", "sfq")];
    const err = await keeper.apply({ token: "cell-2", settings }, host.deps()).catch((e: unknown) => e);
    assert.ok(err instanceof SettingsError);
    assert.equal(err.message, "apply_settings cell-2: settings[2] (qdisc v0) failed: qdisc sfq is not supported by this kernel (no sch_sfq): "
      + "Error: Specified qdisc kind is unknown.; every setting was restored to its snapshot (verified)");
    assert.equal(host.state(), initial);
    assert.deepEqual(journals(), []);
    assert.equal((await keeper.restore("cell-2", host.deps())).state, "already-restored");
  });

  it("rolls back when the command's signal aborts mid-apply", async () => {
    const initial = host.state();
    const ac = new AbortController();
    host.failOn = (argv) => (argv.join(" ") === "ethtool -K v0 tx off" ? void ac.abort() : undefined);
    const err = await keeper.apply(CELL, host.deps(ac.signal)).catch((e: unknown) => e);
    assert.match(String(err), /settings\[1\] \(ethtool_feature v0 generic-receive-offload\) failed: the command deadline passed or it was cancelled; every setting was restored/);
    assert.equal(host.state(), initial);
  });

  it("restores the sub-features an aggregate restore does not bring back", async () => {
    host.features.find((f) => f.name === "tx-checksum-sctp")!.on = false;
    const initial = host.state();
    await keeper.apply({ token: "t", settings: [S("ethtool_feature", "v0", "tx-checksumming", "off")] }, host.deps());
    host.calls = [];
    const r = await keeper.restore("t", host.deps());
    assert.deepEqual(host.changes(), ["ethtool -K v0 tx on", "ethtool -K v0 tx-checksum-sctp off"]);
    assert.equal(host.state(), initial);
    assert.equal(r.verified, true);
  });

  it("loads a congestion-control module for the cell and unloads it on restore", async () => {
    const r = await keeper.apply({ token: "cc", settings: [S("sysctl", "net.ipv4.tcp_congestion_control", "", "vegas")] }, host.deps());
    assert.deepEqual(r.warnings, ["net.ipv4.tcp_congestion_control=vegas: loads module tcp_vegas (unloaded on restore when unused)"]);
    assert.deepEqual(host.changes(), ["modprobe tcp_vegas"]);
    const back = await keeper.restore("cc", host.deps());
    assert.deepEqual(host.changes(), ["modprobe tcp_vegas", "modprobe -r tcp_vegas"]);
    assert.deepEqual([host.proc.get("sys/net/ipv4/tcp_congestion_control"), host.cc], ["cubic\n", ["reno", "cubic"]]);
    assert.equal(back.settings[0]?.detail, "module tcp_vegas unloaded");
  });

  it("fails an unverified restore, keeps the journal, and retries on the next restore", async () => {
    await keeper.apply({ token: "m", settings: [S("mtu", "v0", "", "9000")] }, host.deps());
    host.failOn = (argv) => (argv.join(" ") === "ip link set dev v0 mtu 1500" ? ((host.failOn = () => undefined), fail("ip: RTNETLINK answers: Device or resource busy")) : undefined);
    const err = await keeper.restore("m", host.deps()).catch((e: unknown) => e);
    assert.ok(err instanceof SettingsError);
    assert.match(err.message, /^restore_settings m: not verified: mtu v0: restore step failed: ip: RTNETLINK answers: Device or resource busy/);
    assert.equal(err.report.settings[0]?.restored, "9000");
    assert.deepEqual(journals(), [journalFileName("m")]);
    assert.equal((await keeper.restore("m", host.deps())).state, "restored");
    assert.equal(host.mtu, 1500);
    assert.deepEqual(journals(), []);
  });

  it("takes a campaign token longer than a file name may be", async () => {
    const token = `6f1c0e7a-3b9d-4c52-9a41-2f7d8e0b1c33:pair-a.${"tx-checksum-off_gro-off_".repeat(8)}mtu-9000`;
    assert.ok(token.length > 200);
    await keeper.apply({ token, settings: [S("mtu", "v0", "", "9000")] }, host.deps());
    assert.deepEqual(journals(), [journalFileName(token)]);
    assert.equal((await keeper.restore(token, host.deps())).state, "restored");
  });

  it("refuses a pending token again and a setting another token holds", async () => {
    await keeper.apply({ token: "a", settings: [S("mtu", "v0", "", "9000")] }, host.deps());
    await assert.rejects(keeper.apply({ token: "a", settings: [S("qdisc", "v0", "", "fq")] }, host.deps()), /token: "a" has applied settings; restore it first/);
    await assert.rejects(keeper.apply({ token: "b", settings: [S("mtu", "v0", "", "1400")] }, host.deps()), /settings\[0\]: mtu v0 is held by token "a"/);
    const all = await keeper.restoreAll(host.deps());
    assert.deepEqual(all.map((r) => [r.token, r.state]), [["a", "restored"]]);
    assert.equal(host.mtu, 1500);
  });

  it("restores a crashed agent's journal at start; discards one from another boot; leaves a live agent's", async () => {
    const initial = host.state();
    await keeper.apply(CELL, host.deps());
    const ns = join(dir, "net-4026531840");
    const other = (token: string, over: object): void => {
      const doc = { version: 1, token, pid: process.pid, bootId: BOOT, netns: "", createdMs: 0, entries: [], ...over };
      writeFileSync(join(ns, journalFileName(token)), JSON.stringify(doc));
    };
    other("old-boot", { bootId: "another-boot" });
    other("live", { pid: 1 });
    writeFileSync(join(ns, "junk.json"), "{");
    const fresh = new SettingsKeeper(dir);
    const reports = await fresh.restoreJournals(host.deps());
    assert.deepEqual(reports.map((r) => [r.token, r.state, r.verified]).sort(), [
      ["cell-1", "restored", true], [join(ns, "junk.json"), "skipped", false], ["live", "skipped", false], ["old-boot", "discarded", true],
    ].sort());
    assert.equal(host.state(), initial.replace("4096\\t131072\\t6291456\\n", "4096 131072 6291456\\n"));
    assert.deepEqual(journals(), ["junk.json", journalFileName("live")].sort());
  });

  it("is wired into the dispatcher: apply_settings and restore_settings commands", async () => {
    assert.deepEqual(await restorePending(dir, host.deps()), []);
    const policy = compilePolicy({ ...actionsDefaults(), settings: [{ kind: "mtu", interfaces: ["^v0"] }, { kind: "qdisc", interfaces: ["^v0"] }] });
    const cmdDeps = { policy, scheduler: undefined, logger: silentLogger(), exec: host.exec, fs: host.fs, calibrate: async () => undefined };
    const settings = [S("mtu", "v0", "", "9000"), S("qdisc", "v0", "", "pfifo")];
    const a = await handleCommand({ id: "c1", deadlineMs: 0, kind: { $case: "applySettings", value: { token: "d1", settings } } }, cmdDeps);
    assert.equal(a.ok, true, a.error);
    assert.deepEqual(JSON.parse(a.json).settings.map((s: { applied: string }) => s.applied), ["9000", "pfifo"]);
    const r = await handleCommand({ id: "c2", deadlineMs: 0, kind: { $case: "restoreSettings", value: { token: "d1" } } }, cmdDeps);
    assert.equal(r.ok, true, r.error);
    assert.deepEqual(JSON.parse(r.json).settings.map((s: { restored: string; verified: boolean }) => [s.restored, s.verified]), [["1500", true], ["noqueue (default)", true]]);
    const bad = await handleCommand({ id: "c3", deadlineMs: 0, kind: { $case: "applySettings", value: { token: "d2", settings: [S("mtu", "v0; reboot", "", "9000")] } } }, cmdDeps);
    assert.match(bad.error, /^invalid apply_settings command: settings\[0\]\.target: expected an interface name/);
  });
});
