// The deploy files run through the real tools where this machine has them:
// systemd-analyze on the units, nats-server on the NATS configurations (and a
// live 3-node cluster from the cluster file on random loopback ports).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startProcess, waitFor, type Proc } from "../../helpers/procs.ts";
import { renderAccount } from "../../../common/src/nats/permissions.ts";
import { read, run } from "./files.ts";

export const INSTALLED_CLI = "/usr/bin/eastwest";

/**
 * `systemd-analyze verify` and `security --offline` on copies of the units whose ExecStart points at a
 * stub (verify fails on a missing binary; the product path /usr/bin/eastwest is not installed here).
 * Returns each tool's complaints; verify prints nothing for a clean unit.
 */
export function analyzeUnits(tool: string, units: readonly { rel: string; maxExposure: number }[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "eastwest-units-"));
  try {
    const stub = join(dir, "eastwest");
    writeFileSync(stub, "#!/bin/sh\nexit 0\n");
    chmodSync(stub, 0o755);
    const problems: string[] = [];
    for (const u of units) {
      const copy = join(dir, u.rel.split("/").at(-1) as string);
      writeFileSync(copy, read(u.rel).replaceAll(INSTALLED_CLI, stub));
      const verify = run(tool, ["verify", copy]);
      if (verify.code !== 0 || verify.output.trim() !== "") problems.push(`${u.rel}: systemd-analyze verify: ${verify.output.trim() || `exit ${verify.code}`}`);
      const security = run(tool, ["security", "--offline=yes", `--threshold=${u.maxExposure * 10}`, "--no-pager", copy]);
      const level = /Overall exposure level for \S+: ([\d.]+)/.exec(security.output)?.[1];
      if (security.code !== 0 || level === undefined) problems.push(`${u.rel}: exposure ${level ?? "?"} above ${u.maxExposure} (systemd-analyze security exit ${security.code})`);
    }
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "2.9.10" from `nats-server --version`. */
export function natsVersion(bin: string): [number, number] {
  const m = /v?(\d+)\.(\d+)\.\d+/.exec(run(bin, ["--version"]).output);
  if (!m) throw new Error(`nats-server --version: no version in its output`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * A NATS config as this nats-server can read it: `sync_interval` (2.10+) is dropped for an older
 * server, and `note` says so; `storeDir` replaces the JetStream store_dir. Written to a temp file,
 * beside what it refers to: a self-signed certificate for /etc/nats/tls/ (openssl) and an account
 * file without users for `include ./eastwest-accounts.conf`.
 */
export function natsConfigFor(bin: string, rel: string, storeDir?: string): { path: string; note: string; remove: () => void } {
  const [major, minor] = natsVersion(bin);
  const old = major < 2 || (major === 2 && minor < 10);
  let text = old ? read(rel).replace(/^\s*sync_interval:.*$/m, "") : read(rel);
  if (storeDir !== undefined) text = text.replace(/^(\s*store_dir:).*$/m, `$1 ${JSON.stringify(storeDir)}`);
  const dir = mkdtempSync(join(tmpdir(), "eastwest-nats-conf-"));
  if (text.includes("/etc/nats/tls/")) {
    run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, "tls.key"), "-out", join(dir, "tls.crt"), "-subj", "/CN=nats", "-days", "1"]);
    text = text.replaceAll("/etc/nats/tls/", `${dir}/`);
  }
  if (text.includes("include ./eastwest-accounts.conf")) writeFileSync(join(dir, "eastwest-accounts.conf"), renderAccount("EASTWEST", []));
  const path = join(dir, rel.split("/").at(-1) as string);
  writeFileSync(path, text);
  const note = old ? `nats-server ${major}.${minor} predates sync_interval (2.10): checked without that line` : "";
  return { path, note, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface NatsCluster {
  servers: Proc[];
  monitorPorts: number[];
  stop(): Promise<void>;
}

/**
 * Three servers from one cluster config file (deploy-relative `rel`): SERVER_NAME nats-0..2 from the
 * environment, as in the StatefulSet; ports and routes overridden by flags onto loopback, each server
 * with its own store directory.
 */
export async function startNatsCluster(bin: string, rel: string): Promise<NatsCluster> {
  const ports = await Promise.all(Array.from({ length: 9 }, () => freePort()));
  const cluster = [ports[0], ports[1], ports[2]] as number[];
  const routes = cluster.map((p) => `nats-route://127.0.0.1:${p}`).join(",");
  const store = mkdtempSync(join(tmpdir(), "eastwest-nats-js-"));
  const configs = [0, 1, 2].map((i) => natsConfigFor(bin, rel, join(store, `s${i}`)));
  const servers: Proc[] = [];
  const monitorPorts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const monitor = ports[6 + i] as number;
    monitorPorts.push(monitor);
    const args = ["-c", configs[i]?.path as string, "-a", "127.0.0.1", "-p", String(ports[3 + i]), "-m", String(monitor), "--cluster", `nats://127.0.0.1:${cluster[i]}`, "--routes", routes];
    servers.push(startProcess(bin, args, { env: { SERVER_NAME: `nats-${i}` } }));
  }
  return {
    servers,
    monitorPorts,
    async stop() {
      await Promise.all(servers.map((s) => s.kill("SIGTERM")));
      for (const c of configs) c.remove();
      rmSync(store, { recursive: true, force: true });
    },
  };
}

interface Jsz {
  meta_cluster?: { name?: string; leader?: string; cluster_size?: number };
}

/** Resolves when a server reports a JetStream meta leader in a cluster of `size`; returns its /jsz. */
export function jetStreamLeader(cluster: NatsCluster, size: number, timeoutMs: number): Promise<Jsz> {
  const port = cluster.monitorPorts[0] as number;
  return waitFor(async () => {
    for (const s of cluster.servers) if (s.child.exitCode !== null) throw new Error(`process exited ${s.child.exitCode}: ${s.stderr().slice(-1500)}`);
    const jsz = (await (await fetch(`http://127.0.0.1:${port}/jsz`)).json()) as Jsz;
    return jsz.meta_cluster?.leader && (jsz.meta_cluster.cluster_size ?? 0) >= size ? jsz : undefined;
  }, timeoutMs, "a JetStream meta leader");
}
