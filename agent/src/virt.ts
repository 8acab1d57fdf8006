// Does this agent run in a virtual machine? The sources systemd-detect-virt reads for VMs (src/basic/virt.c):
// the CPUID hypervisor bit (the "hypervisor" flag of /proc/cpuinfo on x86), the DMI vendor and product strings,
// /sys/hypervisor/type (Xen) and the device tree's hypervisor node (arm). Containers are not VMs.
// The role follows: `role: auto` (the default) is guest in a VM, host on bare metal, and host in a VM that can run
// VMs itself (/dev/kvm present: nested virtualisation, as on a cloud hypervisor's test box).
import type { HostFs } from "./runtime/hostfs.ts";

export interface Virtualization {
  /** True when some source says this is a virtual machine. */
  vm: boolean;
  /** What the sources name, e.g. "qemu", "kvm", "vmware", "xen"; "" when none or unnamed. */
  hypervisor: string;
  /** The evidence, one line per source that said something, e.g. `dmi sys_vendor "QEMU"`. */
  evidence: string[];
}

/** DMI vendor/product substrings of hypervisors (systemd's dmi_vendor_table), lower case, and their names. */
const DMI_VENDORS: ReadonlyArray<readonly [string, string]> = [
  ["kvm", "kvm"], ["amazon ec2", "amazon"], ["qemu", "qemu"], ["vmware", "vmware"], ["vmw", "vmware"],
  ["innotek gmbh", "oracle"], ["virtualbox", "oracle"], ["oracle corporation", "oracle"], ["xen", "xen"],
  ["bochs", "bochs"], ["parallels", "parallels"], ["bhyve", "bhyve"], ["hyper-v", "microsoft"],
  ["apple virtualization", "apple"], ["google compute engine", "google"], ["openstack", "openstack"],
];
const DMI_FILES = ["sys_vendor", "product_name", "board_vendor", "bios_vendor", "product_version"] as const;

async function read(f: () => Promise<string>): Promise<string | undefined> {
  try {
    return (await f()).trim();
  } catch {
    return undefined;
  }
}

/** Reads the sources; never throws (an unreadable source says nothing). */
export async function detectVirtualization(fs: HostFs): Promise<Virtualization> {
  const evidence: string[] = [];
  let hypervisor = "";
  const cpuinfo = (await read(() => fs.proc("cpuinfo"))) ?? "";
  const flags = /^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.split(/\s+/) ?? [];
  const cpuid = flags.includes("hypervisor");
  if (cpuid) evidence.push("cpuid: hypervisor bit set");
  for (const file of DMI_FILES) {
    const v = await read(() => fs.sys(`class/dmi/id/${file}`));
    if (!v) continue;
    const hit = DMI_VENDORS.find(([needle]) => v.toLowerCase().includes(needle));
    // why: "Microsoft Corporation" makes physical Surface machines too; only its "Virtual Machine" product is Hyper-V.
    const hyperV = file === "product_name" && v === "Virtual Machine";
    if (hit || hyperV) {
      evidence.push(`dmi ${file} ${JSON.stringify(v.slice(0, 64))}`);
      hypervisor ||= hit?.[1] ?? "microsoft";
    }
  }
  const xen = await read(() => fs.sys("hypervisor/type"));
  if (xen) (evidence.push(`/sys/hypervisor/type ${JSON.stringify(xen.slice(0, 32))}`), (hypervisor ||= xen.toLowerCase()));
  const dt = await read(() => fs.proc("device-tree/hypervisor/compatible"));
  if (dt) (evidence.push(`device tree hypervisor ${JSON.stringify(dt.replace(/\0/g, " ").trim().slice(0, 64))}`), (hypervisor ||= "dt"));
  return { vm: evidence.length > 0, hypervisor, evidence };
}

export interface RoleChoice {
  role: "host" | "guest";
  /** Why, for the start-up log line. */
  reason: string;
}

/** The agent's role: the configured one, or for `auto` what the machine is. `kvm`: whether /dev/kvm exists. */
export function chooseRole(configured: "auto" | "host" | "guest", virt: Virtualization, kvm: boolean): RoleChoice {
  if (configured !== "auto") return { role: configured, reason: "configured" };
  const seen = virt.evidence.join("; ");
  if (!virt.vm) return { role: "host", reason: "auto: no sign of a hypervisor (cpuid, DMI, /sys/hypervisor)" };
  if (kvm) return { role: "host", reason: `auto: a virtual machine (${seen}) with /dev/kvm, so it may run VMs itself (nested); set role guest if it does not` };
  return { role: "guest", reason: `auto: a virtual machine (${seen})` };
}
