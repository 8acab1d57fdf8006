// The eastwest CLI: `eastwest <command> [flags]`. Commands load lazily so an
// agent never loads the collector's store (and the reverse).
import { dropSqliteWarning, VERSION } from "@eastwest/common/process";
import type { CliCommand, CliIo } from "./types.ts";

interface Entry {
  name: string;
  summary: string;
  load: () => Promise<CliCommand>;
}

export const COMMANDS: readonly Entry[] = [
  { name: "up", summary: "collector + local agent on the embedded store (the one-machine main job)", load: async () => (await import("./commands/up.ts")).upCommand },
  { name: "demo", summary: "namespaces on a bridge, collector, three agents, an iperf3 run and its per-64 KiB breakdown", load: async () => (await import("./commands/demo.ts")).demoCommand },
  { name: "lab", summary: "the VM lab: two QEMU guests over virtio-net, agents inside and on the host (up, run, campaign, down)", load: async () => (await import("./commands/lab.ts")).labCommand },
  { name: "collector", summary: "run the collector: gRPC ingest, embedded store, HTTP API", load: async () => (await import("./commands/collector.ts")).collectorCommand },
  { name: "agent", summary: "run an agent: sample /proc, TCP flows, offloads; stream to a collector", load: async () => (await import("./commands/agent.ts")).agentCommand },
  { name: "run", summary: "run iperf3 between two agents via the collector and explain it per 64 KiB packet", load: async () => (await import("./commands/run.ts")).runCommand },
  { name: "campaign", summary: "run Table-1 style campaigns (apply, repeat, restore, verdicts) and write HTML reports", load: async () => (await import("./commands/campaign.ts")).campaignCommand },
  { name: "token", summary: "make bearer tokens for the collector's HTTP API (hashed token file)", load: async () => (await import("./commands/token.ts")).tokenCommand },
  { name: "vms", summary: "list VMs with KVM exits/s and the guest agents linked to them", load: async () => (await import("./commands/vms.ts")).vmsCommand },
  { name: "model", summary: "print the per-64 KiB cost model breakdown and ceiling", load: async () => (await import("./commands/model.ts")).modelCommand },
  { name: "certs", summary: "make a CA, the collector's and agents' certificates for gRPC mutual TLS (openssl)", load: async () => (await import("./commands/certs.ts")).certsCommand },
  { name: "nats-auth", summary: "make nkeys and the nats-server account (per-agent permissions) for agents and collectors", load: async () => (await import("./commands/nats-auth.ts")).natsAuthCommand },
  { name: "calibrate", summary: "measure this host's copy bandwidth and system-call cost", load: async () => (await import("./commands/calibrate.ts")).calibrateCommand },
];

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
    "Run 'eastwest --version' (or -V; also after any command) for the version.",
    "",
  ].join("\n");
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    io.stdout(usage());
    return name ? 0 : 64;
  }
  if (name === "--version" || name === "-V" || (COMMANDS.some((c) => c.name === name) && wantsVersion(rest))) {
    io.stdout(`eastwest ${VERSION} (node ${process.version})\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`eastwest: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 64;
  }
  return (await entry.load()).run(rest, io);
}

/** How long a handle left open may keep the process after its command returned. */
const EXIT_LINGER_MS = 2000;

/** `--version` or `-V` among a command's arguments (before a `--`). */
function wantsVersion(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === "--version" || a === "-V");
}

/**
 * Runs the CLI for this process (argv, stdio, exit code): the entry point of `node cli/src/main.ts` and of the
 * package's bin launcher. `eastwest agent` first re-executes itself with the agent's V8 flags (agent-v8.ts).
 */
export async function runProcess(): Promise<void> {
  if (process.argv[2] === "agent") {
    const { reexecWithAgentFlags } = await import("./agent-v8.ts");
    reexecWithAgentFlags({ execArgv: process.execArgv, argv: process.argv, execPath: process.execPath, env: process.env, ...(process.execve ? { execve: process.execve.bind(process) } : {}) });
  }
  dropSqliteWarning();
  const io: CliIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
  try {
    process.exitCode = await main(process.argv.slice(2), io);
    // why: the command is over (it stopped what it started); a handle it could not close (a socket to a peer that
    // vanished without a FIN, a timer of a library) must not keep the process. Unref'd: fires only if one does.
    setTimeout(() => process.exit(), EXIT_LINGER_MS).unref();
  } catch (err) {
    const detail = err instanceof Error ? (process.env["EASTWEST_DEBUG"] ? (err.stack ?? err.message) : err.message) : String(err);
    process.stderr.write(`eastwest: ${detail}\n`);
    process.exitCode = 1;
  }
}

// why: not awaited at top level: a command whose promise never settles (the loop emptied) must exit as before, not
// with Node's "unsettled top-level await" (exit 13).
if (import.meta.main) void runProcess();
