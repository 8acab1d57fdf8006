// The lab's guests: QEMU with the lab's kernel and initramfs, a virtio-net NIC on its tap (vhost-net where
// /dev/vhost-net exists), a QMP socket, -uuid and -name guest=NAME,debug-threads=on so a host agent's vm sampler
// links the guest agent (which reads DMI product_uuid) to its VM, and its per-run settings as fw_cfg files.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { EastwestError } from "@eastwest/common";

export class GuestError extends EastwestError {}

export interface Accel {
  accel: "kvm" | "tcg";
  /** Why this accelerator (e.g. "tcg: /proc/cpuinfo has no vmx or svm flag"). */
  reason: string;
}

/**
 * KVM only where hardware virtualisation works: /dev/kvm, a vmx or svm CPU flag, and not a software KVM
 * (kvm_pvm). why: under kvm_pvm stock guest kernels stall in the instruction emulator; TCG boots them.
 */
export function chooseAccel(want: "auto" | "kvm" | "tcg", facts: { devKvm: boolean; cpuinfo: string; modules: readonly string[] }): Accel {
  if (want === "tcg") return { accel: "tcg", reason: "tcg: asked for (--accel tcg)" };
  const flags = /^flags\s*:(.*)$/m.exec(facts.cpuinfo)?.[1]?.split(/\s+/) ?? [];
  const problem = !facts.devKvm ? "no /dev/kvm" : !flags.includes("vmx") && !flags.includes("svm") ? "/proc/cpuinfo has no vmx or svm flag" : facts.modules.includes("kvm_pvm") ? "/dev/kvm is kvm_pvm, a software virtualiser" : undefined;
  if (problem === undefined) return { accel: "kvm", reason: "kvm: /dev/kvm with hardware virtualisation" };
  if (want === "kvm") throw new GuestError(`--accel kvm: ${problem}`);
  return { accel: "tcg", reason: `tcg: ${problem}` };
}

export function hostAccelFacts(): { devKvm: boolean; cpuinfo: string; modules: string[] } {
  const modules = existsSync("/proc/modules") ? readFileSync("/proc/modules", "utf8").split("\n").map((l) => l.split(" ")[0] ?? "") : [];
  return { devKvm: existsSync("/dev/kvm"), cpuinfo: readFileSync("/proc/cpuinfo", "utf8"), modules };
}

export interface GuestSpec {
  name: string;
  uuid: string;
  kernel: string;
  initrd: string;
  tap: string;
  mac: string;
  vhost: boolean;
  accel: Accel["accel"];
  memMiB: number;
  vcpus: number;
  qmpSocket: string;
  /** fw_cfg name (opt/eastwest/...) -> host file. */
  fwCfg: Record<string, string>;
  /** Seconds the guest's clock is off from UTC at boot (0: -rtc base=utc). */
  clockOffsetS: number;
  now?: Date;
}

/**
 * -rtc base=: "utc", or the UTC time offsetS from now as QEMU's YYYY-MM-DDTHH:MM:SS, rounded to the nearest second
 * (QEMU takes whole seconds; truncating would set the clock up to 1 s behind the offset asked for).
 */
export function rtcBase(offsetS: number, now: Date = new Date()): string {
  if (offsetS === 0) return "utc";
  return new Date(Math.round((now.getTime() + offsetS * 1000) / 1000) * 1000).toISOString().slice(0, 19);
}

export function qemuArgs(g: GuestSpec): string[] {
  return [
    "-accel", g.accel, "-cpu", g.accel === "kvm" ? "host" : "max", "-m", String(g.memMiB), "-smp", String(g.vcpus),
    "-name", `guest=${g.name},debug-threads=on`, "-uuid", g.uuid,
    "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot", "-serial", "stdio",
    "-kernel", g.kernel, "-initrd", g.initrd, "-append", "console=ttyS0 panic=-1 quiet net.ifnames=0",
    "-netdev", `tap,id=n0,ifname=${g.tap},script=no,downscript=no,vhost=${g.vhost ? "on" : "off"}`,
    "-device", `virtio-net-pci,netdev=n0,mac=${g.mac}`,
    "-qmp", `unix:${g.qmpSocket},server=on,wait=off`,
    "-rtc", `base=${rtcBase(g.clockOffsetS, g.now)}`,
    ...Object.entries(g.fwCfg).flatMap(([name, file]) => ["-fw_cfg", `name=${name},file=${file}`]),
  ];
}

export interface Guest {
  spec: GuestSpec;
  child: ChildProcess;
  /** The console so far (also written to consoleFile). */
  console: () => string;
  startedAt: number;
  /** performance.now() when the console first showed init running and the network up (the agent starts next). */
  marks: { init?: number; network?: number };
  stop: () => Promise<void>;
}

/** Starts a guest; its console goes to consoleFile. */
export function startGuest(g: GuestSpec, consoleFile: string, qemu = "qemu-system-x86_64"): Guest {
  const child = spawn(qemu, qemuArgs(g), { stdio: ["ignore", "pipe", "pipe"] });
  const log = createWriteStream(consoleFile);
  let text = "";
  const marks: Guest["marks"] = {};
  const take = (d: Buffer) => {
    log.write(d);
    if (text.length < 1 << 20) text += d.toString("utf8");
    if (marks.init === undefined && text.includes("eastwest-guest: init")) marks.init = performance.now();
    if (marks.network === undefined && text.includes("eastwest-guest: network")) marks.network = performance.now();
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
  child.once("exit", () => log.end());
  // why: a missing qemu binary is an 'error' event, not an exit; it must not crash the lab.
  child.once("error", (err) => take(Buffer.from(`qemu: ${err.message}\n`)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.kill("SIGTERM");
      await exited;
      clearTimeout(t);
    }
  };
  return { spec: g, child, console: () => text, startedAt: performance.now(), marks, stop };
}

/** A MAC in QEMU's locally administered range from the subnet's third octet and the guest index. */
export const guestMac = (subnet: number, i: number): string => `52:54:00:79:${subnet.toString(16).padStart(2, "0")}:${(i + 2).toString(16).padStart(2, "0")}`;
