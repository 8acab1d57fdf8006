// A real collector process for the fuzzer and the connection tests: `eastwest collector` on free loopback ports,
// an embedded store in a temp directory, and the collector config given (e.g. short connection idle times).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { jsonLine, start, tempDir, type Proc } from "../helpers/procs.ts";

export interface CollectorProcess {
  proc: Proc;
  grpc: string;
  http: string;
  /** SIGTERM, then the temp directory goes. */
  stop(): Promise<void>;
}

export async function startCollector(config: Record<string, unknown> = {}): Promise<CollectorProcess> {
  const dir = tempDir("fuzz");
  const file = join(dir.path, "collector.json");
  writeFileSync(file, JSON.stringify({ collector: { logLevel: "warn", ...config, store: { path: join(dir.path, "fuzz.db") } } }));
  const proc = start(["collector", "--config", file, "--grpc-port", "0", "--http-port", "0"]);
  try {
    const ports = await jsonLine<{ grpc_port: number; http_port: number }>(proc);
    return {
      proc,
      grpc: `grpc://127.0.0.1:${ports.grpc_port}`,
      http: `http://127.0.0.1:${ports.http_port}`,
      stop: async () => {
        await proc.kill("SIGTERM");
        dir.remove();
      },
    };
  } catch (err) {
    await proc.kill("SIGKILL");
    dir.remove();
    throw err;
  }
}
