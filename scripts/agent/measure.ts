// node scripts/agent/measure.ts [--hold-s 60] ARTIFACT...: for each agent artifact (an executable taking
// `eastwest agent` flags), the figures the README states: bytes on disk (the file, or its directory), seconds
// from exec to the collector accepting its session ("connected"), and its RSS after --hold-s seconds. The
// collector runs in this process on loopback; one JSON line per artifact.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { createLogger } from "../../common/src/index.ts";
import { Collector, loadCollectorConfig } from "../../collector/src/index.ts";

function bytesOf(file: string): number {
  const dir = dirname(file);
  // why: a launcher beside its node and bundle is measured with them (the bundle layout's directory).
  if (basename(file) === "eastwest-agent" && readdirSync(dir).includes("node")) return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  return statSync(file).size;
}

const rssKiB = (pid: number): number => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { "hold-s": { type: "string", default: "60" } }, allowPositionals: true });
  const tmp = mkdtempSync(join(tmpdir(), "eastwest-measure-"));
  const config = loadCollectorConfig({ env: {}, flags: { grpc: { port: 0 }, http: { port: 0 }, store: { path: join(tmp, "m.db") } } });
  const collector = new Collector(config, createLogger("measure", "warn"));
  await collector.start();
  try {
    for (const [i, file] of positionals.entries()) {
      const id = `measure-${process.pid}-${i}`;
      const t0 = performance.now();
      const child = spawn(file, ["--id", id, "--collector", `127.0.0.1:${collector.grpcPort}`, "--spool-dir", join(tmp, "spool"), "--log-level", "warn", "--scheduling", "normal"], { stdio: ["ignore", "ignore", "inherit"] });
      await collector.sessions.waitFor(id, 60_000);
      const connectedS = (performance.now() - t0) / 1000;
      await new Promise((r) => setTimeout(r, Number(values["hold-s"]) * 1000));
      const rss = rssKiB(child.pid as number);
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      process.stdout.write(JSON.stringify({ artifact: file, bytes: bytesOf(file), connectedS: Number(connectedS.toFixed(2)), rssMiB: Number((rss / 1024).toFixed(1)), holdS: Number(values["hold-s"]) }) + "\n");
    }
  } finally {
    await collector.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

void main();
