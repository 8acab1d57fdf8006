// The perturbation benchmark's topology: two network namespaces, each joined
// to a Linux bridge in the host namespace by a veth pair.
//
//   ewbench-a (10.231.0.2) ── ewb-a-n ═ ewb-a-h ─┐
//                                                ewbench0 (10.231.0.1, host: collector)
//   ewbench-b (10.231.0.3) ── ewb-b-n ═ ewb-b-h ─┘
//
// Fixed names, so a run that was killed hard leaves nothing a later run does
// not remove first. 10.231.0.0/24 is distinct from the tests' 10.213.7.0/30
// and the demo's 10.77.0.0/24.
import { execFileSync } from "node:child_process";

export interface Namespace {
  name: string;
  ip: string;
  hostVeth: string;
  nsVeth: string;
}

export interface Topology {
  bridge: string;
  hostIp: string;
  a: Namespace;
  b: Namespace;
}

const PREFIX_LEN = 24;

export const TOPOLOGY: Topology = {
  bridge: "ewbench0",
  hostIp: "10.231.0.1",
  a: { name: "ewbench-a", ip: "10.231.0.2", hostVeth: "ewb-a-h", nsVeth: "ewb-a-n" },
  b: { name: "ewbench-b", ip: "10.231.0.3", hostVeth: "ewb-b-h", nsVeth: "ewb-b-n" },
};

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function quietly(fn: () => unknown): void {
  try {
    fn();
  } catch {
    /* already gone */
  }
}

/** Removes the namespaces (their veth ends go with them), the host ends and the bridge. Safe when nothing exists. */
export function destroyTopology(t: Topology = TOPOLOGY): void {
  for (const ns of [t.a, t.b]) {
    quietly(() => ip("netns", "del", ns.name));
    quietly(() => ip("link", "del", ns.hostVeth));
  }
  quietly(() => ip("link", "del", t.bridge));
}

/** Refuses to run when the subnet is already on an interface this module does not own. */
function checkSubnetFree(t: Topology): void {
  const subnet = t.hostIp.split(".").slice(0, 3).join(".") + ".";
  const addrs = JSON.parse(ip("-j", "addr")) as Array<{ ifname: string; addr_info?: Array<{ local?: string }> }>;
  for (const link of addrs) {
    const hit = link.addr_info?.find((a) => a.local?.startsWith(subnet));
    if (hit) throw new Error(`${subnet}0/${PREFIX_LEN} is already used by ${link.ifname} (${hit.local}); the benchmark needs it for its bridge`);
  }
}

/** Creates the topology (removing a stale one first); on a failure part-way, removes what it made and rethrows. */
export function createTopology(t: Topology = TOPOLOGY): Topology {
  destroyTopology(t);
  checkSubnetFree(t);
  try {
    ip("link", "add", t.bridge, "type", "bridge");
    ip("addr", "add", `${t.hostIp}/${PREFIX_LEN}`, "dev", t.bridge);
    ip("link", "set", t.bridge, "up");
    for (const ns of [t.a, t.b]) {
      ip("netns", "add", ns.name);
      ip("link", "add", ns.hostVeth, "type", "veth", "peer", "name", ns.nsVeth);
      ip("link", "set", ns.nsVeth, "netns", ns.name);
      ip("link", "set", ns.hostVeth, "master", t.bridge);
      ip("link", "set", ns.hostVeth, "up");
      ip("-n", ns.name, "addr", "add", `${ns.ip}/${PREFIX_LEN}`, "dev", ns.nsVeth);
      ip("-n", ns.name, "link", "set", ns.nsVeth, "up");
      ip("-n", ns.name, "link", "set", "lo", "up");
    }
    return t;
  } catch (err) {
    destroyTopology(t);
    throw new Error(`creating the namespace topology failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** argv prefix that runs a program inside the namespace (ip netns exec execs it: same pid). */
export function inNamespace(ns: Namespace): string[] {
  return ["ip", "netns", "exec", ns.name];
}

/** `argv` run inside the namespace, as [file, args] for startProcess. */
export function nsCommand(ns: Namespace, argv: string[]): [string, string[]] {
  return ["ip", ["netns", "exec", ns.name, ...argv]];
}
