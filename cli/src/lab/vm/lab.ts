// The VM lab: two QEMU guests on taps on a Linux bridge, each with the deployable agent inside (it finds itself in a VM: role guest), a
// host agent outside (role host: its vm sampler links the guests' agents to their VMs), and a collector in this
// process that the agents reach over mutual TLS. Same shape as the namespace lab (demo/lab.ts): the returned
// cleanup stops and removes everything, newest first, safe twice, also after a failed step.
import { stopChild } from "../../demo/lab.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAIN_SCRIPT } from "../../self.ts";
import { Collector, executeRun, type CollectorConfig, type RunEndpoint, type RunRecord, type RunSpec } from "@eastwest/collector";
import type { Logger } from "@eastwest/common";
import { labCerts } from "../../certs/lab.ts";
import { labActions } from "../../demo/lab.ts";
import { buildAgent } from "./artifact.ts";
import { guestEnv } from "./guest-init.ts";
import { guestImage, type GuestImage } from "./image.ts";
import { LabNet, labNames, takeVmSubnet } from "./net.ts";
import { chooseAccel, guestMac, hostAccelFacts, startGuest, type Accel, type Guest } from "./qemu.ts";
import { waitForGuests, type GuestTimes } from "./wait.ts";

const MAIN = MAIN_SCRIPT;
/** The guests' NIC inside them (no udev renames it). */
export const GUEST_IFNAME = "eth0";

export interface VmLabOptions {
  config: CollectorConfig;
  logger: Logger;
  cacheDir: string;
  /** A built agent bundle directory (npm run build:agent); default: built into the cache dir. */
  agentDir?: string;
  accel: "auto" | "kvm" | "tcg";
  memMiB: number;
  /** Seconds each guest's clock is off at boot (index = guest), 0 when absent. */
  clockOffsetS: readonly number[];
  bootTimeoutMs: number;
  say: (line: string) => void;
  lockDir?: string;
  /** Aborting stops the build at its next step (and the wait for the guests); the lab is then cleaned up. */
  signal?: AbortSignal;
}

export interface VmGuestInfo {
  name: string;
  uuid: string;
  agentId: string;
  ip: string;
  tap: string;
  pid: number;
  /** Seconds: QEMU start -> /init, network up (agent exec) -> agent's session, QEMU start -> agent's session. */
  bootS: number | null;
  agentS: number | null;
  connectedS: number;
  console: string;
}

export interface VmLab {
  collector: Collector;
  client: RunEndpoint;
  server: RunEndpoint;
  serverAddress: string;
  agents: string[];
  tag: string;
  bridge: string;
  accel: Accel;
  vhost: boolean;
  image: GuestImage;
  guests: VmGuestInfo[];
  hostAgent: string;
  runDir: string;
  cleanup: () => Promise<void>;
}

/**
 * The lab's collector: runs ordered through its API are observed by the lab's host agent too (it samples faster
 * for the run, as the guests' agents do), and read each agent on its own clock (the guests' clocks are their RTC's).
 */
/** The longest the lab's cleanup waits for its collector to stop before it stops the guests anyway. */
const COLLECTOR_STOP_MS = 10_000;

class VmLabCollector extends Collector {
  observers: string[] = [];
  override run(spec: RunSpec, onProgress?: (msg: string) => void): Promise<RunRecord> {
    return executeRun(spec, { sessions: this.sessions, store: this.store, logger: this.logger, constants: this.constants, onProgress, observers: this.observers, clocks: this.clocks });
  }
}


/**
 * Starts the lab (as root); on failure cleans up what it started and rethrows. `onCleanup` gets the cleanup first;
 * called while the lab is still being built, it also stops the build, and what a step makes after it is undone at once.
 */
export async function startVmLab(o: VmLabOptions, onCleanup?: (cleanup: () => Promise<void>) => void): Promise<VmLab> {
  const undo: Array<() => Promise<unknown>> = [];
  const stopBuild = new AbortController();
  let done: Promise<void> | undefined;
  const cleanup = () =>
    (done ??= (async () => {
      stopBuild.abort();
      for (let step = undo.pop(); step; step = undo.pop()) await step().catch(() => undefined);
    })());
  const steps: Steps = { push: (step) => (done ? void step().catch(() => undefined) : undo.push(step), undefined) };
  onCleanup?.(cleanup);
  const signal = o.signal ? AbortSignal.any([o.signal, stopBuild.signal]) : stopBuild.signal;
  try {
    return await build({ ...o, signal }, steps, cleanup);
  } catch (err) {
    await cleanup();
    throw err;
  }
}

interface Steps {
  push: (undo: () => Promise<unknown>) => void;
}

async function build(o: VmLabOptions, steps: Steps, cleanup: () => Promise<void>): Promise<VmLab> {
  if (process.getuid?.() !== 0) throw new Error("lab vm needs root (it makes a bridge and taps)");
  const accel = chooseAccel(o.accel, hostAccelFacts());
  const vhost = existsSync("/dev/vhost-net");
  const tag = randomBytes(2).toString("hex");
  const names = labNames(tag);
  const check = () => o.signal?.throwIfAborted();
  const agentDir = o.agentDir ?? (await buildAgent(join(o.cacheDir, "agent"), o.say));
  check();
  const image = await guestImage(o.cacheDir, agentDir, o.say);
  check();
  const subnet = await takeVmSubnet(o.lockDir ?? "/run/lock/eastwest-lab-vm", names.prefix);
  steps.push(async () => subnet.release());
  const net = new LabNet(names, subnet.net, 2);
  steps.push(() => net.teardown());
  await net.build();
  check();
  o.say(`bridge ${names.bridge} ${net.hostIp}/24, taps ${names.tap(0)} ${names.tap(1)}; ${accel.reason}; vhost-net ${vhost ? "on" : "off (no /dev/vhost-net)"}`);
  const runDir = mkdtempSync(join(tmpdir(), `eastwest-lab-vm-${tag}-`));
  steps.push(async () => rmSync(runDir, { recursive: true, force: true }));
  const ids = [0, 1].map((i) => `vm-${tag}-g${i}`);
  const hostAgent = `vm-${tag}-host`;
  const certs = await labCerts([net.hostIp], [...ids, hostAgent]);
  steps.push(async () => certs.remove());
  const grpc = { ...o.config.grpc, host: net.hostIp, port: 0, tls: { ...o.config.grpc.tls, ...certs.collectorTls, clientAuth: "require" as const } };
  const collector = new VmLabCollector({ ...o.config, grpc }, o.logger);
  collector.observers = [hostAgent];
  steps.push(() => collector.stop());
  await collector.start();
  check();
  const address = `${net.hostIp}:${collector.grpcPort}`;
  const host = spawn(process.execPath, [MAIN, "agent", "--id", hostAgent, "--role", "host", "--collector", address, "--log-level", "warn", "--actions", JSON.stringify(labActions("observer")), "--spool-dir", join(runDir, "spool"), ...certs.agentArgs(hostAgent)], { stdio: ["ignore", "ignore", "inherit"] });
  steps.push(() => stopChild(host));
  const guests: Guest[] = [];
  for (const i of [0, 1]) {
    const id = ids[i] as string;
    const files = certs.agents[id];
    if (!files) throw new Error(`no certificate for ${id}`);
    const envFile = join(runDir, `g${i}.env`);
    writeFileSync(envFile, guestEnv({ id, hostname: names.guest(i), ip: net.guestIp(i), collector: address, actions: labActions("endpoint", GUEST_IFNAME) }));
    const g = startGuest({
      name: names.guest(i), uuid: randomUUID(), kernel: image.kernel, initrd: image.initrd, tap: names.tap(i), mac: guestMac(Number(subnet.net.split(".")[2]), i), vhost,
      accel: accel.accel, memMiB: o.memMiB, vcpus: 1, qmpSocket: join(runDir, `g${i}.qmp`), clockOffsetS: o.clockOffsetS[i] ?? 0,
      fwCfg: { "opt/eastwest/env": envFile, "opt/eastwest/ca": certs.ca, "opt/eastwest/cert": files.cert, "opt/eastwest/key": files.key },
    }, join(runDir, `g${i}.console`));
    steps.push(() => g.stop());
    guests.push(g);
  }
  // why: the collector stops first, while its agents can still answer: a guest killed first leaves its gRPC
  // connection without a FIN (its tap is gone), and that socket would keep this process alive after cleanup.
  // why: bounded: a stop stuck on a stream to a guest that is already gone must not keep the rest of the cleanup.
  steps.push(() => Promise.race([collector.stop(), new Promise((r) => setTimeout(r, COLLECTOR_STOP_MS).unref())]));
  const connected = await waitForGuests(collector, guests, ids, o.bootTimeoutMs, o.signal);
  await collector.sessions.waitFor(hostAgent, 30_000);
  const info = guests.map((g, i): VmGuestInfo => ({ name: g.spec.name, uuid: g.spec.uuid, agentId: ids[i] as string, ip: net.guestIp(i), tap: g.spec.tap, pid: g.child.pid as number, ...(connected[i] as GuestTimes), console: join(runDir, `g${i}.console`) }));
  return {
    collector, tag, bridge: names.bridge, accel, vhost, image, guests: info, hostAgent, runDir, cleanup,
    client: { agentId: ids[0] as string, interface: GUEST_IFNAME },
    server: { agentId: ids[1] as string, interface: GUEST_IFNAME },
    serverAddress: net.guestIp(1),
    agents: [...ids, hostAgent],
  };
}
