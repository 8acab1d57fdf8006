// One /24 per lab while it lives: the first A.B.N.0/24 (N in 1..254) that no address on this host uses and no
// live lab holds, with a lock file `A.B.N.lock` in a lock directory. The lock holds the owner's pid and the name
// prefix of everything it makes; a lock whose pid is dead is taken over, and what that lab left behind (its
// prefix's namespaces and links) is removed first. Two labs on one host never touch each other's names.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { EastwestError } from "@eastwest/common";

export class SubnetError extends EastwestError {}

/** Third octets of A.B.N.0/24 networks in use on this host (any address inside), from `ip -o -4 addr show`. */
export function usedSubnets(ipAddrOutput: string, base: string): Set<number> {
  const used = new Set<number>();
  const re = new RegExp(`inet ${base.replace(/\./g, "\\.")}\\.(\\d{1,3})\\.\\d{1,3}/`, "g");
  for (const m of ipAddrOutput.matchAll(re)) used.add(Number(m[1]));
  return used;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** A lock file's text: "<pid> [<prefix>]"; undefined pid when unreadable. */
export function parseLock(text: string): { pid?: number; prefix?: string } {
  const [pid, prefix] = text.trim().split(/\s+/);
  const n = Number(pid);
  return { ...(Number.isInteger(n) && n > 0 ? { pid: n } : {}), ...(prefix && /^[a-z][a-z0-9]{0,11}$/.test(prefix) ? { prefix } : {}) };
}

export interface Subnet {
  /** "A.B.N" */
  net: string;
  release: () => void;
}

export interface TakeSubnetOptions {
  lockDir: string;
  /** "A.B": the labs of one kind share it. */
  base: string;
  /** `ip -o -4 addr show` output. */
  addrs: string;
  /** Name prefix of what this lab makes, written into its lock. */
  prefix?: string;
  /** Removes what a dead lab with this prefix left behind. */
  removeStale?: (prefix: string) => Promise<void>;
}

export async function takeSubnet(o: TakeSubnetOptions): Promise<Subnet> {
  mkdirSync(o.lockDir, { recursive: true });
  const used = usedSubnets(o.addrs, o.base);
  for (let n = 1; n < 255; n++) {
    const lock = join(o.lockDir, `${o.base}.${n}.lock`);
    if (existsSync(lock)) {
      let text = "";
      try {
        text = readFileSync(lock, "utf8");
      } catch {
        continue;
      }
      const held = parseLock(text);
      if (held.pid !== undefined && alive(held.pid)) continue;
      rmSync(lock, { force: true });
      // why: once a dead lab's links are removed, its addresses are gone with them; without a known prefix
      // nothing is removed, and an address still on the host keeps the subnet taken.
      if (held.prefix !== undefined && o.removeStale) await o.removeStale(held.prefix);
      else if (used.has(n)) continue;
    } else if (used.has(n)) continue;
    let fd: number;
    try {
      fd = openSync(lock, "wx");
    } catch {
      continue;
    }
    writeSync(fd, `${process.pid}${o.prefix ? ` ${o.prefix}` : ""}\n`);
    closeSync(fd);
    return { net: `${o.base}.${n}`, release: () => rmSync(lock, { force: true }) };
  }
  throw new SubnetError(`no free ${o.base}.N.0/24 for the lab (every N in 1..254 is in use or locked)`);
}
