// node scripts/measure-install.ts [--hold-s 30] [--out DIR]: the package's figures the README states, in one run.
// Builds the packages (scripts/package.ts) into DIR (default: a temporary directory, removed after), unpacks the
// .deb (dpkg-deb -x) into DIR/installed, and prints one JSON object: bytes of the installed tree, the tarball and
// the .deb (and of this checkout's node_modules, which a checkout install needs), then starts a collector in this
// process on loopback and two agents at once, the installed one and this checkout's (`node cli/bin/eastwest.js
// agent`), and gives each one's seconds from exec to connected and its RSS after --hold-s seconds connected, and
// the ratio installed / checkout.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createLogger } from "../common/src/index.ts";
import { dropSqliteWarning } from "../common/src/process.ts";
import { Collector, loadCollectorConfig } from "../collector/src/index.ts";
import { ROOT } from "./build-dist.ts";
import { buildPackages } from "./package.ts";

const bytesOf = (path: string): number => Number(execFileSync("du", ["-sb", path], { encoding: "utf8" }).split("\t")[0]);
const rssKiB = (pid: number): number => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);
const mib = (kib: number): number => Number((kib / 1024).toFixed(1));
const mb = (bytes: number): number => Number((bytes / 1e6).toFixed(1));

interface Agent {
  name: string;
  id: string;
  child: ChildProcess;
  t0: number;
}

function startAgent(name: string, argv: string[], grpcPort: number, state: string): Agent {
  const id = `measure-${name}-${process.pid}`;
  const args = [...argv.slice(1), "agent", "--id", id, "--collector", `127.0.0.1:${grpcPort}`, "--spool-dir", join(state, "spool"), "--log-level", "warn", "--scheduling", "normal"];
  const env = { PATH: "/usr/bin:/bin:/usr/sbin:/sbin", TMPDIR: state, EASTWEST_SETTINGS_JOURNAL_DIR: join(state, "settings") };
  const t0 = performance.now();
  const child = spawn(argv[0] as string, args, { cwd: "/", env, stdio: ["ignore", "ignore", "inherit"] });
  return { name, id, child, t0 };
}

async function main(): Promise<void> {
  dropSqliteWarning();
  const { values } = parseArgs({ options: { "hold-s": { type: "string", default: "30" }, out: { type: "string" } } });
  const holdS = Number(values["hold-s"]);
  const out = values.out ? resolve(values.out) : mkdtempSync(join(tmpdir(), "eastwest-measure-install-"));
  const collector = new Collector(loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: join(out, "measure.db") } } }), createLogger("measure", "warn"));
  const agents: Agent[] = [];
  try {
    const pkgs = await buildPackages(join(out, "packages"));
    const installed = join(out, "installed");
    rmSync(installed, { recursive: true, force: true });
    execFileSync("dpkg-deb", ["-x", pkgs.deb, installed]);
    const sizes = {
      installedMB: mb(bytesOf(installed)),
      nodeMB: mb(statSync(join(installed, "usr/lib/eastwest/node")).size),
      javascriptMB: mb(bytesOf(join(installed, "usr/lib/eastwest/lib"))),
      tarballMB: mb(statSync(pkgs.tarball).size),
      debMB: mb(statSync(pkgs.deb).size),
      checkoutNodeModulesMB: mb(bytesOf(join(ROOT, "node_modules"))),
    };
    await collector.start();
    for (const name of ["installed", "checkout"]) mkdirSync(join(out, name === "installed" ? "state-i" : "state-c"), { recursive: true });
    agents.push(startAgent("installed", [join(installed, "usr/bin/eastwest")], collector.grpcPort, join(out, "state-i")));
    agents.push(startAgent("checkout", [process.execPath, join(ROOT, "cli/bin/eastwest.js")], collector.grpcPort, join(out, "state-c")));
    const connectedS = await Promise.all(agents.map(async (a) => {
      await collector.sessions.waitFor(a.id, 120_000);
      return Number(((performance.now() - a.t0) / 1000).toFixed(2));
    }));
    await new Promise((r) => setTimeout(r, holdS * 1000));
    const rss = agents.map((a) => rssKiB(a.child.pid as number));
    const result = {
      version: pkgs.version,
      node: process.version,
      sizes,
      holdS,
      agents: Object.fromEntries(agents.map((a, i) => [a.name, { connectedS: connectedS[i], rssMiB: mib(rss[i] as number) }])),
      rssRatioInstalledToCheckout: Number(((rss[0] as number) / (rss[1] as number)).toFixed(2)),
    };
    process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  } finally {
    for (const a of agents) {
      if (a.child.exitCode === null) a.child.kill("SIGTERM");
      await new Promise((r) => (a.child.exitCode === null ? a.child.once("exit", r) : r(undefined)));
    }
    await collector.stop();
    if (!values.out) rmSync(out, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`measure-install: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
