// The VM lab's pure parts: the initramfs archive, the accelerator choice, QEMU's command line, the subnet and
// link names, ldd and module parsing, the guest's settings file (sourced by a real sh) and the lab's flags.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpioArchive } from "../../../cli/src/lab/vm/cpio.ts";
import { guestEnv } from "../../../cli/src/lab/vm/guest-init.ts";
import { lddPaths, moduleDepends } from "../../../cli/src/lab/vm/image.ts";
import { labNames } from "../../../cli/src/lab/vm/net.ts";
import { usedSubnets } from "../../../cli/src/lab/subnet.ts";
import { vmLabOptions } from "../../../cli/src/lab/vm/options.ts";
import { chooseAccel, guestMac, qemuArgs, rtcBase, type GuestSpec } from "../../../cli/src/lab/vm/qemu.ts";
import { createLogger } from "../../../common/src/index.ts";
import { loadCollectorConfig } from "../../../collector/src/index.ts";

/** Entries of a newc archive: name, mode and data, read back field by field. */
function readCpio(bytes: Uint8Array): Array<{ name: string; mode: number; data: string }> {
  const text = Buffer.from(bytes).toString("latin1");
  const out: Array<{ name: string; mode: number; data: string }> = [];
  let at = 0;
  for (;;) {
    assert.equal(text.slice(at, at + 6), "070701", `magic at ${at}`);
    const field = (i: number) => parseInt(text.slice(at + 6 + i * 8, at + 14 + i * 8), 16);
    const [mode, size, nameSize] = [field(1), field(6), field(11)];
    const name = text.slice(at + 110, at + 110 + nameSize - 1);
    let p = at + 110 + nameSize;
    p += (4 - (p % 4)) % 4;
    const data = text.slice(p, p + size);
    p += size;
    p += (4 - (p % 4)) % 4;
    if (name === "TRAILER!!!") return out;
    out.push({ name, mode, data });
    at = p;
  }
}

const concat = (parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

describe("lab vm: pure parts", () => {
  it("cpio: entries come back with their names, types, modes and data, 4-byte aligned, then the trailer", () => {
    const bytes = concat(cpioArchive([{ path: "/bin", kind: "dir" }, { path: "/bin/x", kind: "file", data: new TextEncoder().encode("abcde"), mode: 0o755 }, { path: "/bin/sh", kind: "symlink", target: "busybox" }]));
    assert.equal(bytes.length % 4, 0);
    assert.deepEqual(readCpio(bytes), [
      { name: "bin", mode: 0o040755, data: "" },
      { name: "bin/x", mode: 0o100755, data: "abcde" },
      { name: "bin/sh", mode: 0o120777, data: "busybox" },
    ]);
  });

  it("accel: kvm only with /dev/kvm, a vmx/svm flag and no kvm_pvm; tcg otherwise, with the reason", () => {
    const hw = { devKvm: true, cpuinfo: "flags\t\t: fpu vmx sse2\n", modules: ["kvm_intel", "kvm"] };
    assert.deepEqual(chooseAccel("auto", hw), { accel: "kvm", reason: "kvm: /dev/kvm with hardware virtualisation" });
    assert.equal(chooseAccel("auto", { ...hw, cpuinfo: "flags : fpu sse2 hypervisor\n" }).reason, "tcg: /proc/cpuinfo has no vmx or svm flag");
    assert.equal(chooseAccel("auto", { ...hw, modules: ["kvm_pvm", "kvm"] }).reason, "tcg: /dev/kvm is kvm_pvm, a software virtualiser");
    assert.equal(chooseAccel("auto", { ...hw, devKvm: false }).accel, "tcg");
    assert.equal(chooseAccel("tcg", hw).accel, "tcg");
    assert.throws(() => chooseAccel("kvm", { ...hw, devKvm: false }), /--accel kvm: no \/dev\/kvm/);
    assert.equal(chooseAccel("auto", { devKvm: true, cpuinfo: "garbage\0\n:::", modules: [] }).accel, "tcg");
  });

  it("qemu: -uuid, -name guest=..,debug-threads=on, the tap with vhost as found, the fw_cfg files, the rtc", () => {
    const g: GuestSpec = { name: "ewv-abcd-g0", uuid: "u-1", kernel: "/k", initrd: "/i", tap: "ewvabcdt0", mac: guestMac(7, 0), vhost: false, accel: "tcg", memMiB: 1024, vcpus: 1, qmpSocket: "/r/g0.qmp", fwCfg: { "opt/eastwest/env": "/r/env" }, clockOffsetS: 0 };
    const args = qemuArgs(g).join(" ");
    for (const want of ["-accel tcg", "-cpu max", "-uuid u-1", "-name guest=ewv-abcd-g0,debug-threads=on", "ifname=ewvabcdt0,script=no,downscript=no,vhost=off", "mac=52:54:00:79:07:02", "-qmp unix:/r/g0.qmp,server=on,wait=off", "-rtc base=utc", "-fw_cfg name=opt/eastwest/env,file=/r/env"]) assert.ok(args.includes(want), `${want} in ${args}`);
    assert.ok(qemuArgs({ ...g, vhost: true, accel: "kvm" }).join(" ").includes("vhost=on"));
    const now = new Date("2026-01-02T03:04:05.678Z");
    assert.equal(rtcBase(-90, now), "2026-01-02T03:02:36");
    assert.equal(rtcBase(3, now), "2026-01-02T03:04:09", "05.678 + 3 s rounds to 09, not 08");
    assert.equal(rtcBase(3, new Date("2026-01-02T03:04:05.321Z")), "2026-01-02T03:04:08");
    assert.ok(qemuArgs({ ...g, clockOffsetS: 3, now }).includes("base=2026-01-02T03:04:09"));
  });

  it("names: every link of a run starts with ewv<tag> and fits IFNAMSIZ; a bad tag is refused", () => {
    const n = labNames("0a1f");
    for (const l of [n.bridge, n.tap(0), n.tap(1)]) assert.ok(l.startsWith(n.prefix) && l.length <= 15, l);
    assert.notEqual(n.guest(0), n.guest(1));
    assert.throws(() => labNames("x; rm"), /4 hex digits/);
  });

  it("subnets in use: any address in 10.79.N.0/24 on this host; other text is ignored", () => {
    const out = "2: eth0    inet 10.79.3.1/24 brd x\n3: br    inet 10.79.12.7/24\n4: x inet 10.790.1.1/24\n5: y inet 10.78.0.1/24\n";
    assert.deepEqual([...usedSubnets(out, "10.79")].sort((a, b) => a - b), [3, 12]);
    assert.deepEqual([...usedSubnets("\u0000garbage", "10.79")], []);
  });

  it("ldd: libraries and the loader as absolute paths; vdso and 'not found' are skipped", () => {
    const out = "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x1)\n\tlibfoo.so => not found\n\t/lib64/ld-linux-x86-64.so.2 (0x2)\n";
    assert.deepEqual(lddPaths(out), ["/lib/x86_64-linux-gnu/libm.so.6", "/lib64/ld-linux-x86-64.so.2"]);
  });

  it("module depends: from the .modinfo strings of a .ko", () => {
    const ko = Buffer.from("\x7fELF....license=GPL\0depends=net_failover,virtio\0retpoline=Y\0");
    assert.deepEqual(moduleDepends(ko), ["net_failover", "virtio"]);
    assert.deepEqual(moduleDepends(Buffer.from("depends=\0")), []);
    assert.deepEqual(moduleDepends(Buffer.from("nothing here")), []);
  });

  it("guest settings: a real sh sources them back exactly, quotes and JSON included", () => {
    const v = { id: "vm-ab'cd-g0", hostname: "ewv-abcd-g0", ip: "10.79.1.2", collector: "10.79.1.1:4000", actions: { traffic: true, settings: [{ kind: "mtu", interfaces: ["^eth0$"] }] } };
    const out = execFileSync("sh", ["-c", `${guestEnv(v)}\nprintf '%s\\n' "$EW_ID" "$EW_COLLECTOR" "$EW_ACTIONS"`], { encoding: "utf8" });
    assert.deepEqual(out.split("\n").slice(0, 3), [v.id, v.collector, JSON.stringify(v.actions)]);
  });

  it("flags: defaults, and every bad value reported at once", () => {
    const base = { config: loadCollectorConfig({ env: {}, flags: {} }), logger: createLogger("t", "silent"), say: () => undefined };
    const problems: string[] = [];
    const o = vmLabOptions({ "cache-dir": "/c" }, base, problems);
    assert.deepEqual([problems, o.accel, o.memMiB, o.clockOffsetS, o.bootTimeoutMs, o.cacheDir], [[], "auto", 1024, [], 240_000, "/c"]);
    vmLabOptions({ accel: "xen", "mem-mib": "12", "clock-offset-s": "1,x", "boot-timeout-s": "-1" }, base, problems);
    assert.equal(problems.length, 4, problems.join("\n"));
    for (const want of [/--accel/, /--mem-mib/, /--clock-offset-s/, /--boot-timeout-s/]) assert.ok(problems.some((p) => want.test(p)), String(want));
    const ok: string[] = [];
    assert.deepEqual(vmLabOptions({ "clock-offset-s": "0,-3" }, base, ok).clockOffsetS, [0, -3]);
    assert.deepEqual(ok, []);
  });
});
