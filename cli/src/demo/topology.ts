// The study's bridge path without the VMs: two network namespaces joined by a
// Linux bridge through veth pairs. Everything created is recorded and removed
// by teardown(), which is safe to call twice and after a partial build.
import { execFile } from "node:child_process";
import { EastwestError } from "@eastwest/common";

export class TopologyError extends EastwestError {}

export interface Topology {
  bridge: string;
  hostIp: string;
  namespaces: Array<{ name: string; ip: string; ifname: string }>;
}

function ip(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("ip", args, { encoding: "utf8", timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new TopologyError(`ip ${args.join(" ")}: ${String(stderr).trim() || err.message}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

export interface BridgeTopologyOptions {
  /** Prefix for every name created (namespaces, bridge, veths); <= 6 chars. */
  prefix: string;
  /** /24 network as "a.b.c": the host gets .1 on the bridge, namespaces .2, .3. */
  net: string;
  count: number;
}

export class BridgeTopology {
  readonly #o: BridgeTopologyOptions;
  readonly #undo: string[][] = [];
  #torn = false;

  constructor(o: BridgeTopologyOptions) {
    if (!/^[a-z][a-z0-9]{0,5}$/.test(o.prefix)) throw new TopologyError(`prefix ${o.prefix}: 1-6 lowercase letters/digits`);
    if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(o.net)) throw new TopologyError(`net ${o.net}: expected a.b.c`);
    this.#o = o;
  }

  get names(): { bridge: string; ns: (i: number) => string; hostVeth: (i: number) => string; nsVeth: (i: number) => string } {
    const p = this.#o.prefix;
    return { bridge: `${p}br0`, ns: (i) => `${p}-ns${i}`, hostVeth: (i) => `${p}h${i}`, nsVeth: (i) => `${p}n${i}` };
  }

  /** Builds the topology; on failure removes what it created and rethrows. */
  async build(): Promise<Topology> {
    const n = this.names;
    const net = this.#o.net;
    try {
      await this.#do(["link", "add", n.bridge, "type", "bridge"], ["link", "del", n.bridge]);
      await ip(["addr", "add", `${net}.1/24`, "dev", n.bridge]);
      await ip(["link", "set", n.bridge, "up"]);
      const namespaces: Topology["namespaces"] = [];
      for (let i = 0; i < this.#o.count; i++) {
        const ns = n.ns(i);
        const addr = `${net}.${i + 2}`;
        await this.#do(["netns", "add", ns], ["netns", "del", ns]);
        await this.#do(["link", "add", n.hostVeth(i), "type", "veth", "peer", "name", n.nsVeth(i)], ["link", "del", n.hostVeth(i)]);
        await ip(["link", "set", n.nsVeth(i), "netns", ns]);
        await ip(["link", "set", n.hostVeth(i), "master", n.bridge]);
        await ip(["link", "set", n.hostVeth(i), "up"]);
        await ip(["-n", ns, "addr", "add", `${addr}/24`, "dev", n.nsVeth(i)]);
        await ip(["-n", ns, "link", "set", n.nsVeth(i), "up"]);
        await ip(["-n", ns, "link", "set", "lo", "up"]);
        namespaces.push({ name: ns, ip: addr, ifname: n.nsVeth(i) });
      }
      return { bridge: n.bridge, hostIp: `${net}.1`, namespaces };
    } catch (err) {
      await this.teardown();
      throw err;
    }
  }

  async #do(args: string[], undo: string[]): Promise<void> {
    await ip(args);
    this.#undo.push(undo);
  }

  /** Removes everything build() created, newest first. Safe twice; never throws. */
  async teardown(): Promise<string[]> {
    const problems: string[] = [];
    if (this.#torn) return problems;
    this.#torn = true;
    for (const undo of this.#undo.reverse()) {
      await ip(undo).catch((err: unknown) => {
        // why: deleting a namespace also deletes its end of a veth pair (and with it the host end).
        if (!/Cannot find device|No such file/.test(String(err))) problems.push(String(err));
      });
    }
    return problems;
  }
}

/** `ip -o -4 addr show`: the addresses on this host (for choosing a free subnet). */
export function ipAddrs(): Promise<string> {
  return ip(["-o", "-4", "addr", "show"]);
}

/** Names of leftovers from a prefix (namespaces and links), for tests and for the demo's preflight. */
export async function leftovers(prefix: string): Promise<string[]> {
  const [links, nss] = await Promise.all([ip(["-o", "link", "show"]).catch(() => ""), ip(["netns", "list"]).catch(() => "")]);
  const out: string[] = [];
  for (const line of links.split("\n")) {
    const name = line.split(":")[1]?.trim().split("@")[0];
    if (name?.startsWith(prefix)) out.push(name);
  }
  for (const line of nss.split("\n")) {
    const name = line.split(" ")[0];
    if (name?.startsWith(`${prefix}-`)) out.push(name);
  }
  return out;
}

/** Removes namespaces and links named with the prefix (what a killed demo left behind). */
export async function removeLeftovers(prefix: string): Promise<void> {
  for (const name of await leftovers(prefix)) {
    const args = name.startsWith(`${prefix}-`) ? ["netns", "del", name] : ["link", "del", name];
    await ip(args).catch(() => undefined);
  }
}
