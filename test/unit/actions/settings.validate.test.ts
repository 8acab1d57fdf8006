// Settings validation: the allow-list (pure), host-state checks, and "rejected before anything runs".
import assert from "node:assert/strict";
import { ValidationError, silentLogger } from "@eastwest/common";
import type { ApplySettings, Setting } from "@eastwest/proto";
import { featureNamed, holdKey, SYSCTLS } from "../../../agent/src/actions/settings/settings.kinds.ts";
import { SettingsKeeper } from "../../../agent/src/actions/settings/settings.keeper.ts";
import type { Probe } from "../../../agent/src/actions/settings/settings.probe.ts";
import { featureMap, rootQdisc } from "../../../agent/src/actions/settings/settings.state.ts";
import { checkProbe, parseSettings } from "../../../agent/src/actions/settings/settings.validate.ts";
import type { Exec } from "../../../agent/src/runtime/exec.ts";
import type { HostFs } from "../../../agent/src/runtime/hostfs.ts";

const S = (kind: string, target: string, name: string, value: string): Setting => ({ kind, target, name, value });
const apply = (...settings: Setting[]): ApplySettings => ({ token: "cell-1", settings });

const ETHTOOL = [
  "Features for v0:", "rx-checksumming: on", "tx-checksumming: on", "\ttx-checksum-ipv4: off [fixed]", "\ttx-checksum-ip-generic: on",
  "generic-receive-offload: off", "large-receive-offload: off [fixed]", "",
].join("\n");

function probe(over: Partial<Probe> = {}): Probe {
  return {
    interfaces: { ok: true, value: new Set(["lo", "v0"]) },
    features: new Map([["v0", { ok: true, value: featureMap(ETHTOOL, "ethtool -k v0") }]]),
    qdiscs: new Map([["v0", { ok: true, value: rootQdisc("qdisc noqueue 0: root refcnt 2\n", "tc") }]]),
    mtus: new Map([["v0", { ok: true, value: 1500 }]]),
    sysctls: new Map([["net.ipv4.tcp_congestion_control", { ok: true, value: "cubic" }]]),
    congestion: { ok: true, value: ["reno", "cubic"] },
    modules: new Map(),
    ...over,
  };
}

describe("settings validation: allow-list", () => {
  it("accepts each kind and normalizes names and values", () => {
    const { drafts, problems } = parseSettings(apply(
      S("ethtool_feature", "v0", "tx", "off"),
      S("ethtool_feature", "v0", "generic-receive-offload", "on"),
      S("sysctl", "net.ipv4.tcp_rmem", "", "4096\t131072  6291456"),
      S("qdisc", "v0", "", "fq"),
      S("mtu", "v0", "", "9000"),
    ));
    assert.deepEqual(problems, []);
    assert.deepEqual(drafts.map((d) => d.change), [
      { kind: "ethtool_feature", iface: "v0", feature: "tx-checksumming", value: "off" },
      { kind: "ethtool_feature", iface: "v0", feature: "generic-receive-offload", value: "on" },
      { kind: "sysctl", key: "net.ipv4.tcp_rmem", value: "4096 131072 6291456" },
      { kind: "qdisc", iface: "v0", value: "fq" },
      { kind: "mtu", iface: "v0", value: 9000 },
    ]);
  });

  it("reports every problem of a bad command at once", () => {
    const { drafts, problems } = parseSettings({
      token: "../etc",
      settings: [
        S("ethtool_feature", "eth0; rm -rf /", "tx", "off"),
        S("ethtool_feature", "-x", "tx", "off"),
        S("ethtool_feature", "v0", "rx-gro-hw", "on"),
        S("ethtool_feature", "v0", "gro", "maybe"),
        S("mtu", "v0", "", "10"),
        S("sysctl", "kernel.core_pattern", "", "|/bin/sh"),
        S("sysctl", "net.core.busy_read", "", "-1"),
        S("qdisc", "v0", "", "htb"),
        S("route", "v0", "", "x"),
        S("mtu", "v0", "extra", "1500"),
      ],
    });
    assert.deepEqual(drafts, []);
    assert.deepEqual(problems, [
      'token: expected ^[A-Za-z0-9][A-Za-z0-9._:-]{0,255}$, got "../etc"',
      'settings[0].target: expected an interface name matching ^[A-Za-z0-9_.:-]{1,15}$, got "eth0; rm -rf /"',
      "settings[1].target: an interface name must not start with '-', got \"-x\"",
      "settings[2].name: expected one of tx-checksumming (tx), rx-checksumming (rx), tcp-segmentation-offload (tso), "
        + "generic-segmentation-offload (gso), generic-receive-offload (gro), large-receive-offload (lro), tx-nocache-copy (tx-nocache-copy), "
        + 'scatter-gather (sg), got "rx-gro-hw"',
      'settings[3].value: expected "on" or "off", got "maybe"',
      'settings[4].value: expected an MTU in 68..65535, got "10"',
      `settings[5].target: sysctl "kernel.core_pattern" is not allow-listed (allowed: ${Object.keys(SYSCTLS).join(", ")})`,
      'settings[6].value: expected an integer in 0..1000000, got "-1"',
      'settings[7].value: expected one of pfifo_fast, fq, fq_codel, noqueue, pfifo, sfq, cake, got "htb"',
      'settings[8].kind: expected one of ethtool_feature, sysctl, qdisc, mtu, got "route"',
      'settings[9].name: must be empty for kind mtu, got "extra"',
    ]);
  });

  it("refuses duplicates (aliases included), an empty list and bad triples", () => {
    assert.deepEqual(parseSettings(apply(S("ethtool_feature", "v0", "tx", "off"), S("ethtool_feature", "v0", "tx-checksumming", "on"))).problems, [
      "settings[1]: ethtool_feature v0 tx-checksumming is already set by settings[0]",
    ]);
    assert.deepEqual(parseSettings(apply()).problems, ["settings: empty, nothing to apply"]);
    assert.match(parseSettings(apply(S("sysctl", "net.ipv4.tcp_wmem", "", "4096 1 8192"))).problems[0] ?? "", /min <= default <= max/);
    assert.match(parseSettings(apply(S("sysctl", "net.ipv4.tcp_wmem", "", "4096 8192"))).problems[0] ?? "", /three integers/);
  });

  it("knows the short aliases and what a token holds", () => {
    assert.deepEqual(["tx", "rx", "sg", "tso", "gso", "gro", "lro", "tx-nocache-copy", "nope"].map(featureNamed), [
      "tx-checksumming", "rx-checksumming", "scatter-gather", "tcp-segmentation-offload", "generic-segmentation-offload",
      "generic-receive-offload", "large-receive-offload", "tx-nocache-copy", undefined,
    ]);
    assert.equal(holdKey({ kind: "ethtool_feature", iface: "v0", feature: "tx-checksumming", value: "on" }), "ethtool_feature v0");
    assert.equal(holdKey({ kind: "mtu", iface: "v0", value: 9000 }), "mtu v0");
  });
});

describe("settings validation: host state", () => {
  const check = (settings: Setting[], p: Probe, held = new Map<string, string>()): string[] => {
    const { drafts, problems } = parseSettings(apply(...settings));
    assert.deepEqual(problems, []);
    return checkProbe(drafts, p, "cell-1", held);
  };

  it("refuses a missing interface, a [fixed] feature, a held setting, an unloadable algorithm, a missing sysctl", () => {
    const p = probe({ modules: new Map([["vegas", { ok: false, error: "modprobe: not found" }]]), sysctls: new Map([
      ["net.ipv4.tcp_congestion_control", { ok: true, value: "cubic" }],
      ["net.core.busy_poll", { ok: false, error: "ENOENT: no such file" }],
    ]) });
    const problems = check([
      S("mtu", "nosuch0", "", "1500"),
      S("ethtool_feature", "v0", "lro", "on"),
      S("qdisc", "v0", "", "pfifo"),
      S("sysctl", "net.ipv4.tcp_congestion_control", "", "vegas"),
      S("sysctl", "net.core.busy_poll", "", "50"),
    ], p, new Map([["qdisc v0", "cell-0"]]));
    assert.deepEqual(problems, [
      'settings[0]: no interface "nosuch0" in /sys/class/net (this network namespace)',
      "settings[1]: large-receive-offload is [fixed] on v0: the driver does not allow changing it",
      'settings[2]: qdisc v0 is held by token "cell-0" (applied, not restored yet)',
      'settings[3]: congestion control "vegas" is not available (available: reno cubic) and module tcp_vegas cannot be loaded: modprobe: not found',
      "settings[4]: cannot read net.core.busy_poll in this network namespace (global sysctls such as net.core.busy_poll exist only in the initial one): ENOENT: no such file",
    ]);
  });

  it("accepts an algorithm that is available or whose module a dry run finds", () => {
    const p = probe({ modules: new Map([["vegas", { ok: true, value: true }]]) });
    assert.deepEqual(check([S("sysctl", "net.ipv4.tcp_congestion_control", "", "reno")], p), []);
    assert.deepEqual(check([S("sysctl", "net.ipv4.tcp_congestion_control", "", "vegas")], p), []);
  });

  it("refuses a qdisc change over someone else's root qdisc with children", () => {
    const htb = rootQdisc("qdisc htb 1: root refcnt 2 r2q 10 default 0\nqdisc pfifo 10: parent 1:10 limit 1000p\n", "tc");
    const problems = check([S("qdisc", "v0", "", "pfifo")], probe({ qdiscs: new Map([["v0", { ok: true, value: htb }]]) }));
    assert.deepEqual(problems, [
      "settings[0]: the root qdisc of v0 is htb 1: with 1 child qdiscs, set by someone else; "
        + "only an allow-listed kind without children or the kernel default can be restored",
    ]);
  });
});

describe("settings validation: nothing runs for a bad command", () => {
  it("rejects with every problem, runs no tool with a bad name and changes nothing", async () => {
    const calls: Array<{ file: string; args: readonly string[] }> = [];
    const exec: Exec = async (file, args) => {
      calls.push({ file, args });
      if (file === "ethtool" && args[0] === "-k") return { stdout: ETHTOOL.replace("v0", String(args[1])), stderr: "" };
      throw new Error(`unexpected ${file} ${args.join(" ")}`);
    };
    const fail = async (): Promise<never> => {
      throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
    };
    const fs: HostFs = {
      procRoot: "(none)", sysRoot: "(none)", sys: fail, procDir: fail, procLink: fail,
      sysDir: async (rel) => (rel === "class/net" ? ["lo", "v0"] : fail()),
      proc: async (rel) => (rel === "sys/net/ipv4/tcp_available_congestion_control" ? "reno cubic\n" : rel === "sys/net/ipv4/tcp_congestion_control" ? "cubic\n" : fail()),
    };
    const writes: string[] = [];
    const keeper = new SettingsKeeper("/nonexistent/journal");
    const deps = { exec, fs, logger: silentLogger(), writeProc: async (rel: string) => void writes.push(rel) };
    const err = await keeper.apply(apply(
      S("ethtool_feature", "eth0; rm -rf /", "tx", "off"),
      S("ethtool_feature", "-x", "tx", "off"),
      S("ethtool_feature", "v0", "bogus", "off"),
      S("ethtool_feature", "v0", "gro", "maybe"),
      S("ethtool_feature", "v0", "lro", "on"),
      S("sysctl", "net.ipv4.tcp_congestion_control", "", "nosuchcc"),
      S("mtu", "v0", "", "10"),
      S("sysctl", "net.nope", "", "1"),
    ), deps).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ValidationError, String(err));
    const listed = [...err.message.matchAll(/(?:command: |; )(settings\[\d+\])/g)].map((m) => m[1]);
    assert.deepEqual(listed, ["settings[0]", "settings[1]", "settings[2]", "settings[3]", "settings[6]", "settings[7]", "settings[4]", "settings[5]"]);
    assert.match(err.message, /"nosuchcc" is not available \(available: reno cubic\) and module tcp_nosuchcc cannot be loaded: unexpected modprobe -n -q/);
    assert.deepEqual(calls.map((c) => [c.file, ...c.args]), [["ethtool", "-k", "v0"], ["modprobe", "-n", "-q", "tcp_nosuchcc"]], "only read-only probes, only with valid names");
    assert.deepEqual(writes, []);
    assert.deepEqual(keeper.pendingTokens(), []);
  });
});
