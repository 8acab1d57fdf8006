// Faults around a real agent: a read-only spool directory (the agent streams from memory, says so once, and
// spools again when it is writable), and a collector that accepts the stream but never sends a Welcome.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Server, ServerCredentials, type ServerDuplexStream } from "@grpc/grpc-js";
import { TelemetryService } from "@eastwest/proto";
import { freePort, killAll, requireBinary, start, tempDir, waitFor } from "../../helpers/procs.ts";
import { agentConfig, selfPoint, spoolOf, startCollector, storedTimes, untilLog } from "./agent-spool.helpers.ts";

/** Makes `path` read-only (a read-only bind mount as root, where modes do not bind); returns what undoes it. */
function readOnly(path: string): { writable: () => void; remove: () => void } {
  if (process.getuid?.() !== 0) {
    chmodSync(path, 0o555);
    return { writable: () => chmodSync(path, 0o755), remove: () => chmodSync(path, 0o755) };
  }
  const mount = requireBinary("mount");
  execFileSync(mount, ["--bind", path, path]);
  execFileSync(mount, ["-o", "remount,bind,ro", path]);
  let mounted = true;
  return {
    writable: () => execFileSync(mount, ["-o", "remount,bind,rw", path]),
    remove: () => {
      if (mounted) execFileSync(requireBinary("umount"), [path]);
      mounted = false;
    },
  };
}

describe("agent spool: faults", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let undo: (() => void) | undefined;
  beforeEach(() => (dir = tempDir("agent-faults")));
  afterEach(async () => {
    await killAll();
    undo?.();
    undo = undefined;
    dir.remove();
  });

  it("a read-only spool directory: streams from memory, says so once and in its own point; spools again once writable", async () => {
    const grpcPort = await freePort();
    const c = await startCollector(join(dir.path, "store.db"), grpcPort);
    const spoolDir = join(dir.path, "spool");
    mkdirSync(spoolDir);
    const ro = readOnly(spoolDir);
    undo = ro.remove;
    const config = agentConfig(dir.path, "ro-a", grpcPort, ["spool: { retryMs: 300 }"]);
    const a = start(["agent", "--config", config, "--log-level", "warn"], { env: { EASTWEST_SPOOL_DIR: spoolDir } });
    await untilLog(a, /spool unwritable: batches are kept in memory only/, 20_000, "the spool said unwritable");
    await waitFor(async () => ((await storedTimes(c.http, "cpu", "ro-a", "&tag.cpu=all"))[0]?.length ?? 0) >= 5 ? true : undefined, 20_000, "cpu points streamed from memory");
    // why: the agent's first own points are made before it connects (connected false) and stored once it has;
    // the one wanted is made while it streams from memory.
    const self = await waitFor(async () => {
      const f = await selfPoint(c.http, "ro-a");
      return f && f["spool_writable"] === false && f["connected"] === true ? f : undefined;
    }, 20_000, "spool_writable false, connected true in the agent's own point");
    assert.equal(self["spool_writable"], false);
    assert.equal(a.stderr().match(/spool unwritable/g)?.length, 1, "said once, whatever the retries");
    ro.writable();
    await untilLog(a, /spool writable again/, 20_000, "the spool writable again");
    await waitFor(async () => ((await selfPoint(c.http, "ro-a"))?.["spool_writable"] === true ? true : undefined), 20_000, "spool_writable true");
    await waitFor(() => (spoolOf(spoolDir, "ro-a").highest !== undefined ? true : undefined), 10_000, "batches on disk again");
  });

  it("a collector that never sends a Welcome: the agent reconnects after welcomeTimeoutMs", async () => {
    const hellos: number[] = [];
    const server = new Server();
    server.addService(TelemetryService, {
      connect: (call: ServerDuplexStream<unknown, unknown>) => {
        call.on("data", () => hellos.push(Date.now())); // reads the hello, never answers
        call.on("error", () => undefined);
      },
      push: () => undefined,
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    try {
      const config = agentConfig(dir.path, "nowelcome-a", port);
      const a = start(["agent", "--config", config, "--log-level", "warn"], { env: { EASTWEST_WELCOME_TIMEOUT_MS: "2000" } });
      await waitFor(() => (hellos.length >= 3 ? true : undefined), 30_000, "3 hellos: the agent reconnected twice");
      assert.match(a.stderr(), /no Welcome from the collector: reconnecting/);
      // why: the hellos are timed where this process reads them, which a loaded host delays by up to a few hundred
      // ms; without the deadline the agent would reconnect within its 50-300 ms backoff.
      const gaps = hellos.slice(1).map((t, i) => t - (hellos[i] as number));
      assert.ok(gaps.every((g) => g >= 1500), `hellos about the deadline (2 s) apart: ${gaps.join(", ")} ms`);
    } finally {
      server.forceShutdown();
    }
  });
});
