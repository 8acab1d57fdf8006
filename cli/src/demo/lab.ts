// A lab for demos, campaigns and tests: as root, two network namespaces on a
// Linux bridge with an agent in each (guest role: they stand in for VMs) and
// one on the host; otherwise two agents over loopback. A collector runs
// in-process; agents reach it over mutual TLS with certificates made for the
// lab in a temporary directory (certs/lab.ts). Everything started is stopped by
// the returned cleanup, which is safe to call twice and runs in reverse order.
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { MAIN_SCRIPT } from "../self.ts";
import type { Logger } from "@eastwest/common";
import { Collector, type CollectorConfig, type RunEndpoint } from "@eastwest/collector";
import { randomBytes } from "node:crypto";
import { BridgeTopology, ipAddrs, leftovers, removeLeftovers } from "./topology.ts";
import { takeSubnet } from "../lab/subnet.ts";
import { labCerts } from "../certs/lab.ts";

const MAIN = MAIN_SCRIPT;

export interface LabOptions {
  config: CollectorConfig;
  logger: Logger;
  /** Namespaces on a bridge (needs root); false: loopback. */
  bridge: boolean;
  /**
   * Name stem (3 letters, e.g. "ewc") and "A.B" of the bridge lab: each run takes a prefix of its own (the stem and
   * 3 hex digits) and the first free A.B.N.0/24, held by a lock in `lockDir`, so labs running at once never touch
   * each other; what a dead lab left behind is removed when its lock is taken over.
   */
  stem: string;
  base: string;
  lockDir?: string;
  /** Agent id prefix, e.g. "demo" -> demo-ns0, demo-ns1, demo-host. */
  idPrefix: string;
  say: (line: string) => void;
  agentLogLevel?: string;
}

export interface Lab {
  collector: Collector;
  client: RunEndpoint;
  server: RunEndpoint;
  serverAddress: string;
  /** Every agent of the lab (their sampling is raised during runs). */
  agents: string[];
  cleanup: () => Promise<void>;
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the child has exited. */
export function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => c.kill("SIGKILL"), 5000);
    c.once("exit", () => (clearTimeout(t), resolve()));
    c.kill("SIGTERM");
  });
}

/** An agent of the lab: its id, the command it runs under (ip netns exec NS), what its config allows (`actions`). */
interface LabAgent {
  id: string;
  prefix: string[];
  actions: Record<string, unknown>;
}

/**
 * What a lab agent may be commanded to do: runs (iperf3, holding samples) everywhere; a campaign's settings
 * only on the agent's own interface in its own namespace (offloads, qdisc, MTU, congestion control there).
 * The host agent only observes (it holds its samples during runs, as the others do). Every agent may record a
 * CPU profile of the run (perf record -e cpu-clock), which the run's measured terms come from.
 */
export function labActions(role: "endpoint" | "observer", ifname?: string): Record<string, unknown> {
  if (role === "observer") return { hold: true, profile: true };
  const own = ifname === undefined ? [] : [`^${ifname.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`];
  const settings = own.length === 0 ? [] : [
    ...["ethtool_feature", "qdisc", "mtu"].map((kind) => ({ kind, interfaces: own })),
    { kind: "sysctl", keys: ["net.ipv4.tcp_congestion_control"] },
  ];
  return { traffic: true, hold: true, profile: true, settings };
}

function spawnAgent(a: LabAgent, collector: string, logLevel: string, spoolDir: string, tlsArgs: string[]): ChildProcess {
  const { id, prefix } = a;
  // why: a namespace stands in for a guest: its agent takes the guest role (no host-only samplers).
  const role = prefix.length > 0 ? "guest" : "host";
  const argv = [...prefix, process.execPath, MAIN, "agent", "--id", id, "--role", role, "--collector", collector, "--log-level", logLevel, "--actions", JSON.stringify(a.actions), "--spool-dir", spoolDir, ...tlsArgs];
  return spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "ignore", "inherit"] });
}

/**
 * Starts the lab; on failure cleans up what it started and rethrows. `onCleanup` receives the cleanup at once,
 * before anything starts, so a signal handler can undo a half-built lab.
 */
export async function startLab(o: LabOptions, onCleanup?: (cleanup: () => Promise<void>) => void): Promise<Lab> {
  const steps: Array<() => Promise<unknown>> = [];
  let done: Promise<void> | undefined;
  const cleanup = () =>
    (done ??= (async () => {
      for (const step of steps.reverse()) await step().catch(() => undefined);
    })());
  onCleanup?.(cleanup);
  try {
    return await build(o, steps, cleanup);
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function build(o: LabOptions, steps: Array<() => Promise<unknown>>, cleanup: () => Promise<void>): Promise<Lab> {
  let grpcHost = "127.0.0.1";
  const agents: LabAgent[] = [];
  let client: RunEndpoint;
  let server: RunEndpoint;
  let serverAddress = "127.0.0.1";
  if (o.bridge) {
    const prefix = `${o.stem}${randomBytes(2).toString("hex").slice(0, 3)}`;
    const removeStale = async (dead: string) => {
      const stale = await leftovers(dead);
      if (stale.length > 0) o.say(`removing what a lab that died left behind: ${stale.join(", ")}`);
      await removeLeftovers(dead);
    };
    const subnet = await takeSubnet({ lockDir: o.lockDir ?? "/run/lock/eastwest-lab-ns", base: o.base, addrs: await ipAddrs(), prefix, removeStale });
    steps.push(async () => subnet.release());
    const topo = new BridgeTopology({ prefix, net: subnet.net, count: 2 });
    steps.push(() => topo.teardown());
    const t = await topo.build();
    const [a, b] = t.namespaces as [Ns, Ns];
    o.say(`bridge ${t.bridge} ${t.hostIp}/24; ${a.name} ${a.ip} (${a.ifname}), ${b.name} ${b.ip} (${b.ifname})`);
    grpcHost = t.hostIp;
    const ns0 = `${o.idPrefix}-ns0`;
    const ns1 = `${o.idPrefix}-ns1`;
    agents.push(
      { id: ns0, prefix: ["ip", "netns", "exec", a.name], actions: labActions("endpoint", a.ifname) },
      { id: ns1, prefix: ["ip", "netns", "exec", b.name], actions: labActions("endpoint", b.ifname) },
      { id: `${o.idPrefix}-host`, prefix: [], actions: labActions("observer") },
    );
    client = { agentId: ns0, interface: a.ifname };
    server = { agentId: ns1, interface: b.ifname };
    serverAddress = b.ip;
  } else {
    // why: over loopback both agents share this host's interfaces: they run traffic, and change no setting.
    agents.push({ id: `${o.idPrefix}-client`, prefix: [], actions: labActions("endpoint") }, { id: `${o.idPrefix}-server`, prefix: [], actions: labActions("endpoint") });
    client = { agentId: `${o.idPrefix}-client`, interface: "lo" };
    server = { agentId: `${o.idPrefix}-server`, interface: "lo" };
  }
  const certs = await labCerts([grpcHost], agents.map((a) => a.id));
  steps.push(async () => certs.remove());
  const grpc = { ...o.config.grpc, host: grpcHost, port: 0, tls: { ...o.config.grpc.tls, ...certs.collectorTls, clientAuth: "require" as const } };
  const collector = new Collector({ ...o.config, grpc }, o.logger);
  steps.push(() => collector.stop());
  await collector.start();
  // why: the agents' unacked batches belong with the collector's data they will be stored in, not in a host-wide dir.
  const spoolDir = join(dirname(resolve(o.config.store.path)), "spool");
  for (const a of agents) {
    const child = spawnAgent(a, `${grpcHost}:${collector.grpcPort}`, o.agentLogLevel ?? "warn", spoolDir, certs.agentArgs(a.id));
    steps.push(() => stopChild(child));
  }
  for (const a of agents) await collector.sessions.waitFor(a.id, 20_000);
  return { collector, client, server, serverAddress, agents: agents.map((a) => a.id), cleanup };
}

type Ns = { name: string; ip: string; ifname: string };
