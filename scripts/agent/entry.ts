// The deployable agent's entry: `eastwest agent` alone, without the rest of the CLI (no collector, no store).
// `eastwest-agent [flags]` and `eastwest-agent agent [flags]` take the same flags as `eastwest agent`.
import { isSea } from "node:sea";
import { reexecWithAgentFlags } from "../../cli/src/agent-v8.ts";
import { agentCommand } from "../../cli/src/commands/agent.ts";

function errorText(err: unknown): string {
  return err instanceof Error ? (process.env["EASTWEST_DEBUG"] ? (err.stack ?? err.message) : err.message) : String(err);
}

async function main(): Promise<void> {
  // why: a SEA gets its V8 flags from its own config; flags on its command line would go to the agent.
  if (!isSea()) reexecWithAgentFlags({ execArgv: process.execArgv, argv: process.argv, execPath: process.execPath, env: process.env, ...(process.execve ? { execve: process.execve.bind(process) } : {}) });
  const argv = process.argv.slice(2);
  if (argv[0] === "agent") argv.shift();
  if (argv[0] === "--version") {
    process.stdout.write(`eastwest-agent ${process.env["EASTWEST_AGENT_BUILD"] ?? "dev"} (node ${process.version})\n`);
    return;
  }
  try {
    process.exitCode = await agentCommand.run(argv, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
  } catch (err) {
    process.stderr.write(`eastwest-agent: ${errorText(err)}\n`);
    process.exitCode = 1;
  }
}

void main();
