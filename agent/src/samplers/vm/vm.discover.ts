// From a /proc scan to the guests this sampler follows: parsed command lines, libvirt sockets, unique names, a bound.
import { parseQemuCmdline } from "./vm.cmdline.ts";
import { findLibvirtMonitor } from "./vm.libvirt.ts";
import { cmdlineTaps } from "./vm.taps.ts";
import type { ProcScan } from "./vm.proc.ts";

export interface Guest {
  pid: number;
  /** The vm tag: -name, "qemu-<pid>" when unnamed, "<name>@<pid>" when two guests share a name. */
  name: string;
  uuid: string;
  /** Accelerator from the command line (the QMP source corrects it once connected). */
  accel: string;
  smp: number | undefined;
  qmpSocket: string | undefined;
  qmpProblem: string | undefined;
  /**
   * The libvirt domain name when libvirt owns the guest (its monitor was passed as fd=, or found under libvirtDir);
   * the -name as given, before the vm tag's de-duplication.
   */
  domain: string | undefined;
  /** vhost kernel threads of this guest (Linux < 6.4). */
  vhost: number[];
  /** Tap interfaces its command line names (-netdev tap,ifname=); libvirt passes fds instead (vm.taps.ts). */
  argvTaps: string[];
}

export interface Discovery {
  guests: Guest[];
  /** Guests found beyond maxVms (not followed). */
  dropped: number;
}

/** Guests sorted by name, at most `maxVms`; a guest without a QMP socket on its command line is looked up under `libvirtDir`. */
export async function discoverGuests(scan: ProcScan, libvirtDir: string, maxVms: number): Promise<Discovery> {
  const parsed = scan.qemus.map(({ pid, argv }) => ({ pid, cmd: parseQemuCmdline(argv), argvTaps: cmdlineTaps(argv) }));
  const counts = new Map<string, number>();
  for (const { cmd } of parsed) counts.set(cmd.name, (counts.get(cmd.name) ?? 0) + 1);
  const named = parsed
    .map(({ pid, cmd, argvTaps }) => ({ pid, cmd, argvTaps, name: cmd.name === "" ? `qemu-${pid}` : (counts.get(cmd.name) ?? 0) > 1 ? `${cmd.name}@${pid}` : cmd.name }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const kept = named.slice(0, maxVms);
  const guests = await Promise.all(
    kept.map(async ({ pid, cmd, argvTaps, name }): Promise<Guest> => {
      let { qmpSocket, qmpProblem } = cmd;
      let libvirt = cmd.qmpFd;
      if (qmpSocket === undefined) {
        qmpSocket = await findLibvirtMonitor(libvirtDir, cmd.name);
        if (qmpSocket !== undefined) [qmpProblem, libvirt] = [undefined, true];
        else qmpProblem = `${qmpProblem ?? "no QMP socket on the command line (-qmp unix:PATH)"}, and no monitor.sock for it under ${libvirtDir}`;
      }
      const domain = libvirt && cmd.name !== "" ? cmd.name : undefined;
      return { pid, name, uuid: cmd.uuid, accel: cmd.accel, smp: cmd.smp, qmpSocket, qmpProblem, domain, vhost: scan.vhost.get(pid) ?? [], argvTaps };
    }),
  );
  return { guests, dropped: named.length - kept.length };
}
