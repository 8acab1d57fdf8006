// The system's openssl (Debian package openssl), run with argument arrays and never through a shell.
import { spawn } from "node:child_process";
import { CommandError } from "@eastwest/common";

/** Runs `openssl ARGS` with `input` on stdin; resolves with stdout, rejects with CommandError (exit code, stderr). */
export function openssl(args: readonly string[], input?: Buffer | string, timeoutMs = 30_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn("openssl", args, { stdio: ["pipe", "pipe", "pipe"], timeout: timeoutMs });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", (e: NodeJS.ErrnoException) =>
      reject(new CommandError(e.code === "ENOENT" ? "openssl not found: install it (Debian package openssl)" : `openssl ${args[0]}: ${e.message}`, null, err, { cause: e })),
    );
    child.once("close", (code) => {
      if (code === 0) return resolve(Buffer.concat(out));
      reject(new CommandError(`openssl ${args[0]} failed (exit ${code}): ${err.trim().split("\n").slice(-3).join(" | ")}`, code, err));
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(input ?? "");
  });
}
