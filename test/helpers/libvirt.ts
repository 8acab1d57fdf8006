// A libvirtd for tests: the running system one when it answers, else one started here (as root, with the QEMU
// driver set up to run guests as root without a security driver), stopped again by pid. And transient domains with
// names of their own, destroyed by name.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { requireBinary, startProcess, tempDir, waitFor, type Proc } from "./procs.ts";

const run = promisify(execFile);
export const LIBVIRT_URI = "qemu:///system";
const QEMU_CONF = "/etc/libvirt/qemu.conf";
const QEMU_SETTINGS: Record<string, string> = { user: '"root"', group: '"root"', security_driver: '"none"' };
const DIRS = ["/var/log/libvirt/qemu", "/var/run/libvirt", "/var/lib/libvirt/qemu"];

export interface Libvirtd {
  uri: string;
  /** Stops the daemons this helper started (none when the system's was used). Safe twice. */
  stop(): Promise<void>;
}

export async function virsh(...args: string[]): Promise<string> {
  const { stdout } = await run("virsh", ["-c", LIBVIRT_URI, ...args], { timeout: 30_000, env: { ...process.env, LC_ALL: "C" } });
  return stdout;
}

async function answers(): Promise<boolean> {
  try {
    await virsh("version");
    return true;
  } catch {
    return false;
  }
}

/** qemu.conf with `key = value` for each setting: an existing setting line replaced, else appended (comments stay). */
export function withSettings(conf: string, settings: Readonly<Record<string, string>>): string {
  let lines = conf === "" ? [] : conf.replace(/\n$/, "").split("\n");
  for (const [key, value] of Object.entries(settings)) {
    const want = `${key} = ${value}`;
    const set = new RegExp(`^\\s*${key}\\s*=`);
    if (lines.some((l) => set.test(l))) lines = lines.map((l) => (set.test(l) ? want : l));
    else lines.push(want);
  }
  return `${lines.join("\n")}\n`;
}

/** The QEMU driver's prerequisites on this host: a libvirt-qemu user, state directories, qemu.conf. Idempotent. */
async function prepare(): Promise<void> {
  try {
    await run("id", ["libvirt-qemu"]);
  } catch {
    await run(requireBinary("useradd"), ["-r", "libvirt-qemu"]);
  }
  for (const d of DIRS) mkdirSync(d, { recursive: true });
  const conf = existsSync(QEMU_CONF) ? readFileSync(QEMU_CONF, "utf8") : "";
  const next = withSettings(conf, QEMU_SETTINGS);
  if (next !== conf) writeFileSync(QEMU_CONF, next);
}

/** The process of `pidFile` is alive and is `comm`. */
function running(pidFile: string, comm: string): boolean {
  try {
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm;
  } catch {
    return false;
  }
}

/** The system libvirtd when it answers on qemu:///system, else virtlogd and libvirtd started here (root needed). */
export async function ensureLibvirtd(): Promise<Libvirtd> {
  requireBinary("virsh");
  const libvirtd = requireBinary("libvirtd");
  const virtlogd = requireBinary("virtlogd");
  if (await answers()) return { uri: LIBVIRT_URI, stop: async () => {} };
  if (process.getuid?.() !== 0) throw new Error("no libvirtd answers on qemu:///system and starting one needs root");
  await prepare();
  const started: Proc[] = [];
  // why: libvirtd needs a virtlogd for guest logs; one that runs already is the system's.
  if (!running("/var/run/virtlogd.pid", "virtlogd")) started.push(startProcess(virtlogd, []));
  const daemon = startProcess(libvirtd, []);
  started.push(daemon);
  try {
    await waitFor(async () => {
      if (daemon.child.exitCode !== null) throw new Error(`libvirtd exited ${daemon.child.exitCode}: ${daemon.stderr()}`);
      return (await answers()) ? true : undefined;
    }, 30_000, "libvirtd to answer on qemu:///system");
  } catch (err) {
    for (const p of started.reverse()) await p.kill("SIGTERM");
    throw err;
  }
  return {
    uri: LIBVIRT_URI,
    stop: async () => {
      for (const p of started.splice(0).reverse()) await p.kill("SIGTERM");
    },
  };
}

export interface DomainSpec {
  name: string;
  uuid: string;
  /** "qemu" runs under TCG; "kvm" needs /dev/kvm. */
  type: "qemu" | "kvm";
  /** Host tap device libvirt creates for the guest's NIC (<= 15 characters). */
  tap: string;
}

/**
 * Domain XML: no disk, 64 MiB, 2 vCPUs (the BIOS runs, enough for stats), a virtio NIC on a tap of its own (no
 * libvirt network needed). why: the NIC's option ROM is off, since on a software /dev/kvm it hits an emulation failure
 * and QEMU pauses the guest; the custom CPU model is what a kvm domain needs there (no svm).
 */
export function domainXml(d: DomainSpec): string {
  const cpu = d.type === "kvm" ? "<cpu mode='custom' check='none'><model fallback='allow'>qemu64</model><feature policy='disable' name='svm'/></cpu>" : "";
  return `<domain type='${d.type}'>
  <name>${d.name}</name>
  <uuid>${d.uuid}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  ${cpu}
  <devices>
    <interface type='ethernet'><target dev='${d.tap}' managed='yes'/><model type='virtio'/><rom enabled='no'/></interface>
  </devices>
</domain>
`;
}

export interface Domain {
  spec: DomainSpec;
  /** The QEMU process libvirt started. */
  pid: number;
  /** Destroys the transient domain (it is then gone); safe twice. */
  destroy(): Promise<void>;
}

/** `virsh create` of a transient domain; resolves with its QEMU pid once libvirt has written it. */
export async function createDomain(spec: DomainSpec): Promise<Domain> {
  const dir = tempDir("libvirt-xml");
  try {
    const file = join(dir.path, `${spec.name}.xml`);
    writeFileSync(file, domainXml(spec));
    await virsh("create", file);
  } finally {
    dir.remove();
  }
  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    await virsh("destroy", spec.name).catch(() => undefined);
  };
  try {
    const pidFile = `/var/run/libvirt/qemu/${spec.name}.pid`;
    const pid = await waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) || undefined : undefined), 20_000, `${pidFile}`);
    return { spec, pid, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}
