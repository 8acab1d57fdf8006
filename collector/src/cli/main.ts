// The eastwest CLI: `eastwest <command> [flags]`.
import { agentCommand } from "./commands/agent.ts";
import { collectorCommand } from "./commands/collector.ts";
import { upCommand } from "./commands/up.ts";
import type { CliCommand, CliIo } from "./types.ts";

export const COMMANDS: readonly CliCommand[] = [upCommand, collectorCommand, agentCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "usage: eastwest <command> [flags]",
    "",
    "East/West (VM-to-VM) network telemetry for KVM hosts.",
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run 'eastwest <command> --help' for a command's flags.",
    "",
  ].join("\n");
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    io.stdout(usage());
    return name ? 0 : 64;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.stderr(`eastwest: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 64;
  }
  return cmd.run(rest, io);
}

if (import.meta.main) {
  const io: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`eastwest: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
