// Kill -9 of a store writer (kill9-writer.ts, kill9-folder.ts: a child that prints each seq the store acked, a line
// each): runs it until it has acked `atLeast`, kills it with SIGKILL and resolves the last seq it printed.
import { spawn } from "node:child_process";

export async function killAfterAcks(script: string, path: string, atLeast: bigint): Promise<bigint> {
  const child = spawn(process.execPath, ["--no-warnings", script, path], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let acked = 0n;
  await new Promise<void>((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (d: Buffer) => {
      const lines = (buf + d.toString()).split("\n");
      buf = lines.pop() ?? "";
      for (const line of lines) acked = BigInt(line);
      if (acked >= atLeast) resolve();
    });
    child.once("exit", (code) => reject(new Error(`writer exited (${code}) before ${atLeast} acks: ${stderr}`)));
  });
  child.kill("SIGKILL");
  await exited;
  return acked;
}
