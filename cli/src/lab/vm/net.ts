// The lab's private network: a Linux bridge and one tap per guest, named from the run's tag, on 10.79.N.0/24
// (N unused by any address on this host, held by a lock file while the lab lives). Everything created is
// recorded and removed by teardown(), safe twice and after a partial build; nothing not made here is touched.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { EastwestError } from "@eastwest/common";
import { takeSubnet, type Subnet } from "../subnet.ts";

const run = promisify(execFile);
export class LabNetError extends EastwestError {}

export async function ipCmd(args: string[]): Promise<string> {
  try {
    return (await run("ip", args, { encoding: "utf8", timeout: 10_000 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new LabNetError(`ip ${args.join(" ")}: ${(e.stderr ?? "").trim() || e.message}`, { cause: err });
  }
}

/** Names of one lab run: `ewv<tag>` is the prefix of every link it makes (IFNAMSIZ: at most 15 characters). */
export function labNames(tag: string): { prefix: string; bridge: string; tap: (i: number) => string; guest: (i: number) => string } {
  if (!/^[0-9a-f]{4}$/.test(tag)) throw new LabNetError(`tag ${tag}: 4 hex digits`);
  const prefix = `ewv${tag}`;
  return { prefix, bridge: `${prefix}br`, tap: (i) => `${prefix}t${i}`, guest: (i) => `ewv-${tag}-g${i}` };
}

/** Takes the first free 10.79.N.0/24 (N in 1..254) and a lock on it in lockDir (a lock of a dead pid is taken over). */
export async function takeVmSubnet(lockDir: string, prefix: string): Promise<Subnet> {
  return takeSubnet({ lockDir, base: "10.79", addrs: await ipCmd(["-o", "-4", "addr", "show"]), prefix });
}

export class LabNet {
  readonly #undo: string[][] = [];
  #torn = false;
  readonly names: ReturnType<typeof labNames>;
  readonly net: string;
  readonly taps: number;
  constructor(names: ReturnType<typeof labNames>, net: string, taps: number) {
    this.names = names;
    this.net = net;
    this.taps = taps;
  }

  get hostIp(): string {
    return `${this.net}.1`;
  }
  guestIp(i: number): string {
    return `${this.net}.${i + 2}`;
  }

  async build(): Promise<void> {
    const { bridge, tap } = this.names;
    await this.#do(["link", "add", bridge, "type", "bridge"], ["link", "del", bridge]);
    await ipCmd(["addr", "add", `${this.hostIp}/24`, "dev", bridge]);
    await ipCmd(["link", "set", bridge, "up"]);
    for (let i = 0; i < this.taps; i++) {
      await this.#do(["tuntap", "add", "dev", tap(i), "mode", "tap"], ["link", "del", tap(i)]);
      await ipCmd(["link", "set", tap(i), "master", bridge]);
      await ipCmd(["link", "set", tap(i), "up"]);
    }
  }

  async #do(args: string[], undo: string[]): Promise<void> {
    await ipCmd(args);
    this.#undo.push(undo);
  }

  /** Removes what build() made, newest first; the problems (never throws). */
  async teardown(): Promise<string[]> {
    if (this.#torn) return [];
    this.#torn = true;
    const problems: string[] = [];
    for (const undo of this.#undo.reverse()) await ipCmd(undo).catch((err: unknown) => problems.push(String(err)));
    return problems;
  }
}

/** Links on this host whose names start with the prefix (what a killed lab left behind). */
export async function linksWithPrefix(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (const line of (await ipCmd(["-o", "link", "show"])).split("\n")) {
    const name = line.split(":")[1]?.trim().split("@")[0];
    if (name?.startsWith(prefix)) out.push(name);
  }
  return out;
}
