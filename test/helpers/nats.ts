// A real nats-server with JetStream for tests: random loopback port, store in
// a temp dir, killed by pid. A missing binary fails the test (never skips).
import { freePort, requireBinary, startProcess, tempDir, waitFor, type Proc } from "./procs.ts";

export interface NatsServer {
  url: string;
  port: number;
  proc: Proc;
  /** The JetStream store directory. */
  storeDir: string;
  /** Kills the server by pid and removes its store. Safe twice. */
  stop(): Promise<void>;
}

const READY = /Server is ready/;

/**
 * `again`: start on this port and store directory (a restart after a kill, e.g. the fault suite's); the
 * directory is then the caller's, kept by stop().
 */
export async function startNatsServer(again?: { port: number; storeDir: string }): Promise<NatsServer> {
  const bin = requireBinary("nats-server");
  const dir = again ? { path: again.storeDir, remove: () => undefined } : tempDir("nats");
  for (let attempt = 0; ; attempt++) {
    const port = again?.port ?? (await freePort());
    const proc = startProcess(bin, ["-js", "-sd", dir.path, "-p", String(port), "-a", "127.0.0.1"]);
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
      storeDir: dir.path,
      async stop() {
        if (stopped) return;
        stopped = true;
        await proc.kill("SIGKILL");
        dir.remove();
      },
    };
  }
}
