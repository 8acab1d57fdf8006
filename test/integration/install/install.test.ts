// The package as a user gets it: scripts/package.ts builds the tarball and the .deb once; dpkg installs the .deb
// into a fresh root (its postinst makes the user there); the installed collector and agent run from that root with
// the installed configs, cwd / and a system PATH, and the agent's batches are stored, while no process of theirs
// names this checkout; the installed units pass systemd-analyze verify; the tarball holds the same tree.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { nodeMinimum, rootPackage } from "../../../scripts/build-dist.ts";
import { buildPackages, type Packages } from "../../../scripts/package.ts";
import { requireBinary, tempDir, waitFor } from "../../helpers/procs.ts";
import { dpkgInstall, installedEnv, processPaths, processTree, REPO, run, startInstalled, type Installed } from "./installed.ts";

interface AgentView {
  agent?: { connected?: boolean; highestSeq?: number; agentVersion?: string; capabilities?: Array<{ sampler: string; available: boolean; reason: string }> };
}

const UNITS = [
  { name: "eastwest-agent.service", exec: "/usr/bin/eastwest agent --config /etc/eastwest/agent.yaml" },
  { name: "eastwest-collector.service", exec: "/usr/bin/eastwest collector --config /etc/eastwest/collector.yaml" },
];

/** key=value lines of a unit's [Service] section. */
function serviceKeys(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = "";
  for (const line of text.split("\n")) {
    section = /^\[(\w+)\]$/.exec(line.trim())?.[1] ?? section;
    const kv = /^(\w+)=(.*)$/.exec(line);
    if (kv && section === "Service") out.set(kv[1] as string, kv[2] as string);
  }
  return out;
}

/** A Node older than min: the system's (/usr/bin/node) when it is one, else this Node saying it is 20.0.0. */
function olderNode(dir: string, min: string): { node: string; version: string } {
  const system = existsSync("/usr/bin/node") ? run("/usr/bin/node", ["-p", "process.versions.node"]).stdout.trim() : "";
  const older = (v: string) => v.split(".").map(Number).reduce<number>((c, n, i) => (c !== 0 ? c : n - (Number(min.split(".")[i]) || 0)), 0) < 0;
  if (system && older(system)) return { node: "/usr/bin/node", version: system };
  // why: fault injection where no real older Node exists: the check reads process.versions, set before it runs.
  const fake = join(dir, "old-node");
  writeFileSync(fake, `#!/bin/sh\nexec ${process.execPath} --import "data:text/javascript,Object.defineProperty(process.versions,'node',{value:'20.0.0'})" "$@"\n`, { mode: 0o755 });
  return { node: fake, version: "20.0.0" };
}

describe("install: the Debian package and the tarball", function () {
  this.timeout(120_000);
  const tmp = tempDir("eastwest-install-");
  const root = join(tmp.path, "root");
  const eastwest = join(root, "usr/bin/eastwest");
  let pkgs: Packages;
  const running: Installed[] = [];

  before(async function () {
    this.timeout(600_000);
    requireBinary("dpkg");
    requireBinary("dpkg-deb");
    pkgs = await buildPackages(join(tmp.path, "out"));
    dpkgInstall(root, pkgs.deb);
  });

  after(async () => {
    await Promise.all(running.map((p) => p.stop()));
    tmp.remove();
  });

  it("dpkg installs the tree, the configs as conffiles of group eastwest, and the user eastwest", () => {
    for (const f of ["usr/bin/eastwest", "usr/lib/eastwest/node", "usr/lib/eastwest/eastwest-agent/eastwest-agent"]) assert.ok(statSync(join(root, f)).mode & 0o111, `${f} is executable`);
    for (const f of ["usr/lib/eastwest/lib/eastwest.mjs", "usr/lib/eastwest/lib/sockdiag.pl", "usr/lib/sysusers.d/eastwest.conf", "usr/share/eastwest/grafana/dashboards/fleet.json"]) assert.ok(statSync(join(root, f)).isFile(), f);
    const user = readFileSync(join(root, "etc/passwd"), "utf8").split("\n").find((l) => l.startsWith("eastwest:"));
    assert.match(user ?? "", /^eastwest:x:\d+:(\d+):[^:]*:\/var\/lib\/eastwest:\/usr\/sbin\/nologin$/, "the postinst made the system user in the root");
    const gid = Number(/^eastwest:x:\d+:(\d+):/.exec(user ?? "")?.[1]);
    for (const f of ["agent.yaml", "collector.yaml"]) {
      const st = statSync(join(root, "etc/eastwest", f));
      assert.equal(st.mode & 0o777, 0o640, `${f} mode`);
      assert.equal(st.gid, gid, `${f} group eastwest`);
    }
    const status = run("dpkg", [`--root=${root}`, "-s", "eastwest"]).stdout;
    assert.match(status, /^Status: install ok installed$/m);
    assert.match(status, new RegExp(`^Version: ${pkgs.version.replaceAll(".", "\\.")}$`, "m"));
    assert.match(status, /^Conffiles:\n \/etc\/eastwest\/agent\.yaml \w+\n \/etc\/eastwest\/collector\.yaml \w+$/m);
  });

  it("eastwest --version from the installed tree prints the package's version", () => {
    const debVersion = run("dpkg-deb", ["-f", pkgs.deb, "Version"]).stdout.trim();
    assert.equal(debVersion, rootPackage().version);
    const r = run(eastwest, ["--version"], { env: installedEnv(root) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `eastwest ${debVersion} (node ${process.version})\n`, "the shipped Node is the one that built the package");
  });

  it("runs on another Node through EASTWEST_NODE; a Node older than engines gets one line and exit 78", () => {
    const other = run(eastwest, ["model", "--json"], { env: installedEnv(root, { EASTWEST_NODE: process.execPath }) });
    assert.equal(other.code, 0, other.stderr);
    assert.ok(JSON.parse(other.stdout), "eastwest model --json on the test's Node");
    const min = nodeMinimum(rootPackage().engines.node);
    const { node, version } = olderNode(tmp.path, min);
    const r = run(eastwest, ["--version"], { env: installedEnv(root, { EASTWEST_NODE: node }) });
    assert.equal(r.code, 78, r.stdout + r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, new RegExp(`^eastwest: Node ${version.replaceAll(".", "\\.")} at .* is too old: eastwest needs Node >= ${min.replaceAll(".", "\\.")} \\(unset EASTWEST_NODE`));
  });

  it("the collector's and the agent's installed configs stay on loopback", () => {
    const c = run(eastwest, ["collector", "--config", join(root, "etc/eastwest/collector.yaml"), "--print-config"], { env: installedEnv(root) });
    assert.equal(c.code, 0, c.stderr);
    const cfg = JSON.parse(c.stdout) as { grpc: { host: string; port: number }; http: { host: string; port: number }; store: { path: string } };
    assert.deepEqual([cfg.grpc.host, cfg.grpc.port, cfg.http.host, cfg.http.port], ["127.0.0.1", 7470, "127.0.0.1", 7471]);
    assert.equal(cfg.store.path, "/var/lib/eastwest/eastwest.db", "the store is in the units' StateDirectory");
    const a = run(eastwest, ["agent", "--config", join(root, "etc/eastwest/agent.yaml"), "--print-config"], { env: installedEnv(root) });
    assert.equal(a.code, 0, a.stderr);
    assert.equal((JSON.parse(a.stdout) as { collector: { address: string } }).collector.address, "127.0.0.1:7470");
  });

  it("the installed units run the installed CLI and pass systemd-analyze verify", () => {
    const tool = requireBinary("systemd-analyze");
    const dir = join(tmp.path, "units");
    mkdirSync(dir, { recursive: true });
    for (const u of UNITS) {
      const text = readFileSync(join(root, "lib/systemd/system", u.name), "utf8");
      const k = serviceKeys(text);
      assert.equal(k.get("ExecStart"), u.exec, u.name);
      assert.equal(k.get("User"), "eastwest");
      assert.equal(k.get("RestartPreventExitStatus"), "64 78");
      assert.equal(k.get("StateDirectory"), "eastwest");
      assert.ok(statSync(join(root, u.exec.split(" ").at(-1) as string)).isFile(), `${u.name}: its config is installed`);
      // why: verify checks that ExecStart's binary exists and is executable; it has to be the installed one.
      const copy = join(dir, u.name);
      writeFileSync(copy, text.replaceAll("/usr/bin/eastwest", eastwest));
      const r = run(tool, ["verify", copy]);
      assert.equal(r.code, 0, `${u.name}: ${r.stdout}${r.stderr}`);
      assert.equal((r.stdout + r.stderr).trim(), "", `${u.name}: systemd-analyze verify says something`);
    }
  });

  it("the installed collector and agent store the agent's batches, and nothing of theirs names the checkout", async () => {
    const id = `install-${process.pid}`;
    const collector = startInstalled(root, ["collector", "--config", join(root, "etc/eastwest/collector.yaml"), "--grpc-port", "0", "--http-port", "0", "--data", join(root, "var/lib/eastwest/eastwest.db"), "--log-level", "warn"]);
    running.push(collector);
    const ports = await waitFor(() => {
      if (collector.child.exitCode !== null) throw new Error(`collector exited ${collector.child.exitCode}: ${collector.stderr()}`);
      const line = collector.stdout().split("\n").find((l) => l.startsWith("{"));
      return line ? (JSON.parse(line) as { grpc_port: number; http_port: number }) : undefined;
    }, 60_000, "the installed collector's ports");
    const agent = startInstalled(root, ["agent", "--config", join(root, "etc/eastwest/agent.yaml"), "--collector", `127.0.0.1:${ports.grpc_port}`, "--id", id, "--spool-dir", join(root, "var/lib/eastwest/spool"), "--scheduling", "normal", "--log-level", "warn"]);
    running.push(agent);
    const view = await waitFor(async () => {
      if (agent.child.exitCode !== null) throw new Error(`agent exited ${agent.child.exitCode}: ${agent.stderr()}`);
      const res = await fetch(`http://127.0.0.1:${ports.http_port}/api/v1/agents/${id}`).catch(() => undefined);
      const v = res?.ok ? ((await res.json()) as AgentView) : undefined;
      return v?.agent?.connected && (v.agent.highestSeq ?? 0) >= 2 ? v : undefined;
    }, 90_000, "the installed agent's batches stored by the installed collector");
    assert.equal(view.agent?.agentVersion, pkgs.version);
    const tcpinfo = view.agent?.capabilities?.find((c) => c.sampler === "tcpinfo");
    assert.ok(tcpinfo?.available, `tcpinfo (its helper beside the bundle): ${tcpinfo?.reason}`);
    const pids = [...processTree(collector.pid), ...processTree(agent.pid)];
    const facts = pids.flatMap(processPaths);
    assert.deepEqual(facts.filter((f) => f.includes(REPO)), [], "a process of the installed programs names the checkout");
    assert.ok(facts.includes(`${agent.pid} exe: ${join(root, "usr/lib/eastwest/node")}`), "the agent runs the shipped Node");
    assert.ok(facts.includes(`${agent.pid} cwd: /`));
    assert.ok(facts.some((f) => f.includes(`${join(root, "usr/lib/eastwest/lib/sockdiag.pl")}`)), "tcpinfo's helper runs from the installed lib");
    assert.equal(await agent.stop(), 0, agent.stderr());
    assert.equal(await collector.stop(), 0, collector.stderr());
  });

  it("eastwest up from the installed tree starts its local agent from the installed bundle", () => {
    const r = run(eastwest, ["up", "--duration-s", "8", "--grpc-port", "0", "--http-port", "0", "--data", join(root, "var/lib/eastwest/up.db"), "--agent-id", `install-up-${process.pid}`, "--scheduling", "normal", "--log-level", "warn"], { env: installedEnv(root, { EASTWEST_AGENT_SCHEDULING: "normal" }) });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const stored = /stored (\d+) points in (\d+) batches/.exec(r.stdout + r.stderr);
    assert.ok(stored && Number(stored[2]) >= 1, `the local agent's batches: ${r.stdout}${r.stderr}`);
  });

  it("the VM lab's guest agent (<lib>/eastwest-agent) runs on the package's Node through its link", () => {
    const r = run(join(root, "usr/lib/eastwest/eastwest-agent/eastwest-agent"), ["--version"], { env: installedEnv(root) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^eastwest-agent \\S+ \\(node ${process.version.replaceAll(".", "\\.")}\\)\\n$`));
  });

  it("the tarball holds the .deb's tree and runs from wherever it is unpacked", () => {
    const names = (lines: string) => lines.split("\n").map((l) => l.trim().split(/\s+/).at(-1) ?? "").filter((n) => n && !n.endsWith("/") && n !== "->").sort();
    const debFiles = run("dpkg-deb", ["-c", pkgs.deb]).stdout.split("\n").map((l) => l.replace(/ -> .*$/, "")).join("\n");
    assert.deepEqual(names(run("tar", ["-tzvf", pkgs.tarball]).stdout.split("\n").map((l) => l.replace(/ -> .*$/, "")).join("\n")), names(debFiles));
    const dir = join(tmp.path, "untar", "opt", "eastwest");
    mkdirSync(dir, { recursive: true });
    assert.equal(run("tar", ["-xzf", pkgs.tarball, "-C", dir]).code, 0);
    const r = run(join(dir, "usr/bin/eastwest"), ["--version"], { env: installedEnv(dir) });
    assert.equal(r.stdout, `eastwest ${pkgs.version} (node ${process.version})\n`, r.stderr);
  });

  it("deploy/Dockerfile adds this tarball and its entrypoint runs from the installed tree", () => {
    const docker = readFileSync(join(REPO, "deploy/Dockerfile"), "utf8");
    const args = Object.fromEntries([...docker.matchAll(/^ARG (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
    const add = /^ADD (\S+) \/$/m.exec(docker)?.[1]?.replace(/\$\{(\w+)\}/g, (_, k: string) => String(args[k]));
    assert.equal(add, `dist/${basename(pkgs.tarball)}`, "ADD names the tarball scripts/package.ts builds (with the Dockerfile's ARG defaults)");
    const argv = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(docker)?.[1] ?? "[]") as string[];
    const r = run(join(root, argv[0] as string), [join(root, argv[1] as string), "--version"], { env: installedEnv(root) });
    assert.equal(r.stdout, `eastwest ${pkgs.version} (node ${process.version})\n`, r.stderr);
  });

  it("reinstalling keeps the one user and an edited config (a conffile)", () => {
    const conf = join(root, "etc/eastwest/agent.yaml");
    writeFileSync(conf, `${readFileSync(conf, "utf8")}# edited on this host\n`);
    const r = run("dpkg", [`--root=${root}`, "--force-script-chrootless", "--force-depends", `--log=${join(root, "var/log/dpkg.log")}`, "-i", pkgs.deb]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(readFileSync(conf, "utf8"), /# edited on this host\n$/);
    assert.equal(readFileSync(join(root, "etc/passwd"), "utf8").split("\n").filter((l) => l.startsWith("eastwest:")).length, 1);
  });

  it("dpkg --purge removes the files, the configs and the state", () => {
    mkdirSync(join(root, "var/lib/eastwest/spool"), { recursive: true });
    const r = run("dpkg", [`--root=${root}`, "--force-script-chrootless", `--log=${join(root, "var/log/dpkg.log")}`, "--purge", "eastwest"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const f of ["usr/bin/eastwest", "usr/lib/eastwest", "etc/eastwest/agent.yaml", "var/lib/eastwest", "lib/systemd/system/eastwest-agent.service"]) {
      assert.throws(() => statSync(join(root, f)), /ENOENT/, `${f} is left after purge`);
    }
  });
});
