// The QMP socket of a libvirt-started guest: libvirt opens the monitor socket itself and passes it to QEMU as fd=,
// so the path is found only in libvirt's state directory, <libvirtDir>/domain-<id>-<short name>/monitor.sock.
// Note that libvirtd keeps its own session on that socket open, so QEMU will not greet a second client.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** Default libvirt state directory of system QEMU guests (qemu:///system). */
export const LIBVIRT_DIR = "/var/lib/libvirt/qemu";

// why: libvirt's virDomainDefGetShortName keeps the first 20 characters of the name.
const SHORT_NAME_MAX = 20;

/** The directory name candidates for guest `name`: highest domain id first. */
export function libvirtDomainDirs(entries: readonly string[], name: string): string[] {
  if (name === "") return [];
  const short = [...name].slice(0, SHORT_NAME_MAX).join("");
  return entries
    .map((e) => /^domain-(\d+)-(.+)$/.exec(e))
    .filter((m): m is RegExpExecArray => m !== null && m[2] === short)
    .sort((a, b) => Number(b[1]) - Number(a[1]))
    .map((m) => m[0]);
}

/** Path of the guest's monitor socket, or undefined when the directory or the socket is missing. */
export async function findLibvirtMonitor(dir: string, name: string): Promise<string | undefined> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return undefined;
  }
  for (const d of libvirtDomainDirs(entries, name)) {
    const path = join(dir, d, "monitor.sock");
    try {
      await stat(path);
      return path;
    } catch {
      // a stale directory of an earlier run of the guest: try the next
    }
  }
  return undefined;
}
