// A real nats-server with JetStream for tests: random loopback port, store in
// a temp dir, killed by pid. A missing binary fails the test (never skips).
// `config` writes a configuration file (accounts, TLS...) into the server's
// temp dir; it must enable JetStream with store_dir <dir>/js. The port and
// address flags still override it.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, requireBinary, startProcess, tempDir, waitFor, type Proc } from "./procs.ts";

export interface NatsServer {
  url: string;
  port: number;
  proc: Proc;
  /** The JetStream store directory. */
  storeDir: string;
  /** The server's temp dir (configuration, included files). */
  dir: string;
  /** Kills the server by pid and removes its store. Safe twice. */
  stop(): Promise<void>;
}

const READY = /Server is ready/;

export interface NatsServerOptions {
  /** Returns the text of a configuration file; `dir` is the server's temp dir, for files it includes. */
  config?: (dir: string) => string;
  /**
   * Start on this port and JetStream store directory (a restart after a kill, e.g. the fault suite's); the
   * directory is then the caller's, kept by stop().
   */
  again?: { port: number; storeDir: string };
}

export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const bin = requireBinary("nats-server");
  const again = opts.again;
  const dir = again ? { path: again.storeDir, remove: () => undefined } : tempDir("nats");
  const storeDir = again ? again.storeDir : join(dir.path, "js");
  let conf = ["-js", "-sd", storeDir];
  if (opts.config) {
    const file = join(dir.path, "server.conf");
    writeFileSync(file, opts.config(dir.path));
    conf = ["-c", file];
  }
  for (let attempt = 0; ; attempt++) {
    const port = again?.port ?? (await freePort());
    const proc = startProcess(bin, [...conf, "-p", String(port), "-a", "127.0.0.1"]);
    try {
      await waitFor(() => {
        if (READY.test(proc.stderr())) return true;
        if (proc.child.exitCode !== null) throw new Error(`process exited ${proc.child.exitCode}: ${proc.stderr().slice(-1000)}`);
        return undefined;
      }, 15_000, "nats-server ready");
    } catch (err) {
      await proc.kill("SIGKILL");
      // why: freePort() cannot reserve the port; another process may take it before nats-server binds.
      if (attempt < 2 && !again && /address already in use/.test(proc.stderr())) continue;
      dir.remove();
      throw err;
    }
    let stopped = false;
    return {
      url: `nats://127.0.0.1:${port}`,
      port,
      proc,
      storeDir,
      dir: dir.path,
      async stop() {
        if (stopped) return;
        stopped = true;
        await proc.kill("SIGKILL");
        dir.remove();
      },
    };
  }
}
