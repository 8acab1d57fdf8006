// The one way the agent runs external tools: a binary and an argument array
// (never a shell string), a deadline, bounded output.
import { execFile } from "node:child_process";
import { CommandError } from "@eastwest/common";

export interface ExecResult {
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  maxBytes?: number;
}

export type Exec = (file: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

export const realExec: Exec = (file, args, options = {}) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      {
        signal: options.signal,
        timeout: options.timeoutMs ?? 10_000,
        maxBuffer: options.maxBytes ?? 16 * 1024 * 1024,
        encoding: "utf8",
        env: { ...process.env, LC_ALL: "C" },
      },
      (err, stdout, stderr) => {
        if (err) {
          const code = typeof (err as NodeJS.ErrnoException).code === "number" ? Number((err as NodeJS.ErrnoException).code) : null;
          const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? `${file}: not found` : `${file} ${args.join(" ")}: ${err.message.split("\n")[0]}`;
          reject(new CommandError(why, code, String(stderr ?? ""), { cause: err }));
          return;
        }
        resolve({ stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
