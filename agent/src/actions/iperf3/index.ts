// Registers the iperf3 one-off server and client with the command registry.
import { on } from "../registry.ts";
import type { CommandDeps } from "../types.ts";
import { iperf3Client, iperf3Server, type Iperf3Deps } from "./iperf3.action.ts";
import { realRunTool } from "./iperf3.run.ts";

function iperf3Deps(deps: CommandDeps, signal: AbortSignal): Iperf3Deps {
  return { run: deps.runTool ?? realRunTool, fs: deps.fs, logger: deps.logger, signal };
}

on("iperf3Server", (value, deps, signal) => iperf3Server(value, iperf3Deps(deps, signal)));
on("iperf3Client", (value, deps, signal) => iperf3Client(value, iperf3Deps(deps, signal)));
