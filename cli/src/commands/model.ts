// `eastwest model`: the cost-model ceiling for given constants (the study's by default), as a table or JSON.
import { ConfigError, EXIT_CONFIG, readConfigFile, toJson } from "@eastwest/common";
import { CONSTANT_FLAG_SPEC, PAPER_CONSTANTS, ceiling, efficiency, formatCeiling, layerFromDocument, layerFromFlags, parseFlags, parseNumber, resolveConstants, type FlagSpec, type ModelConstants } from "@eastwest/collector/model";
import type { CliCommand, CliIo } from "../types.ts";
import { exitFor } from "../flags.ts";

const USAGE = `usage: eastwest model [flags]

Prints the East/West cost model per packet of S bytes:
  T = copies x S / copy bandwidth + syscalls x syscall cost + exits x exit cost
and the single-stream ceiling 1 / T packets/s, x S x 8 bit/s. Defaults are the study's constants.

flags:
  --json                   print JSON instead of the table
  --measured-gbit-s X      a measured throughput; adds efficiency = X / ceiling
  -c, --config FILE        YAML or JSON file; its "model:" section sets constants (same names, snake_case)
  --print-config           print the effective constants and exit
  --packet-bytes N         S, bytes per packet (65536)
  --copies N               copies per packet (4)
  --copy-us US             cost of one copy of S bytes, microseconds (1.2, as the study states)
  --copy-bytes-per-s B     copy bandwidth instead of --copy-us (52e9; 65536 B / 52e9 B/s = 1.26 us)
  --syscalls N             system calls per packet (2)
  --syscall-us US          microseconds per system call (0.5)
  --exits N                VM exits per packet (4)
  --exit-us US             microseconds per VM exit (0.5)
  -h, --help               print this help

Precedence: defaults < --config < flags. Setting --packet-bytes or --copy-bytes-per-s without --copy-us
derives the copy cost from bandwidth. Exit status 78 on bad flags or config, with every problem listed.
`;

const SPEC: FlagSpec = {
  ...CONSTANT_FLAG_SPEC,
  json: { type: "boolean" },
  "measured-gbit-s": { type: "string" },
  config: { type: "string", short: "c" },
  "print-config": { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

interface Request {
  constants: ModelConstants;
  measuredGbitS?: number;
  json: boolean;
  printConfig: boolean;
  help: boolean;
}

/** argv -> request, or every problem found. Reads the config file when one is given. */
export function loadModelRequest(argv: readonly string[]): Request | { problems: string[] } {
  const { values, problems } = parseFlags(argv, SPEC);
  const flags = layerFromFlags(values);
  problems.push(...flags.problems);
  let measuredGbitS: number | undefined;
  const rawMeasured = values["measured-gbit-s"];
  if (typeof rawMeasured === "string") {
    const n = parseNumber("--measured-gbit-s", rawMeasured);
    if ("problem" in n) problems.push(n.problem);
    else if (n.value < 0) problems.push(`--measured-gbit-s: must be >= 0 (got ${rawMeasured})`);
    else measuredGbitS = n.value;
  }
  let fileLayer = {};
  const file = values.config;
  if (typeof file === "string") {
    const read = readConfigFile(file);
    const layer = layerFromDocument(read.value, file);
    problems.push(...read.problems, ...layer.problems);
    fileLayer = layer.layer;
  }
  if (problems.length > 0) return { problems };
  const constants = resolveConstants({ ...PAPER_CONSTANTS }, fileLayer, flags.layer);
  return { constants, measuredGbitS, json: values.json === true, printConfig: values["print-config"] === true, help: values.help === true };
}

function render(req: Request): string {
  const c = ceiling(req.constants);
  const eff = req.measuredGbitS === undefined ? undefined : efficiency(req.measuredGbitS, c);
  if (!req.json) return formatCeiling(c, req.measuredGbitS, eff);
  const out = req.measuredGbitS === undefined ? c : { ...c, measured_gbit_s: req.measuredGbitS, efficiency: eff };
  return toJson(out, 2) + "\n";
}

/** The effective constants as a loadable "model:" section: the copy basis in use, not both. */
function printable(c: ModelConstants): string {
  const { copy_us, copy_bytes_per_s, ...rest } = c;
  return toJson({ model: copy_us === null ? { ...rest, copy_bytes_per_s } : { ...rest, copy_us } }, 2) + "\n";
}

export async function runModel(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(USAGE);
    return 0;
  }
  const req = loadModelRequest(argv);
  if ("problems" in req) {
    io.stderr(`eastwest model: ${new ConfigError(req.problems).message}\n`);
    return exitFor(req.problems);
  }
  io.stdout(req.printConfig ? printable(req.constants) : render(req));
  return 0;
}

export const modelCommand: CliCommand = {
  name: "model",
  summary: "print the cost-model ceiling (per-packet time, packets/s, Gbit/s) for the study's or given constants",
  usage: USAGE,
  run: (argv, io) => runModel(argv, io),
};
