// `eastwest model`: the cost-model ceiling for given constants (the study's by default), as a table or JSON.
import { ConfigError, EXIT_CONFIG, readConfigFile, toJson } from "@eastwest/common";
import { CONSTANT_FLAG_SPEC, PAPER_CONSTANTS, calibrationLayer, calibrationUse, ceiling, efficiency, formatCeiling, layerFromDocument, layerFromFlags, parseFlags, parseNumber, resolveConstants, type FlagSpec, type ModelConstants, type ModelLayer } from "@eastwest/collector/model";
import type { CliCommand, CliIo } from "../types.ts";
import { exitFor } from "../flags.ts";
import { defaultCalibrationDir, latestCalibrationFile, latestFromStore, readCalibrationFile, type Loaded } from "../calibration-files.ts";
import { calibrationLines, calibrationJson, type UsedCalibration } from "./model-calibration.ts";

const USAGE = `usage: eastwest model [flags]

Prints the East/West cost model per packet of S bytes:
  T = copies x S / copy bandwidth + syscalls x syscall cost + exits x exit cost
and the single-stream ceiling 1 / T packets/s, x S x 8 bit/s. Defaults are the study's constants.

flags:
  --json                   print JSON instead of the table
  --measured-gbit-s X      a measured throughput; adds efficiency = X / ceiling
  -c, --config FILE        YAML or JSON file; its "model:" section sets constants (same names, snake_case)
  --print-config           print the effective constants and exit
  --calibration FILE|latest  take the measured constants (copy bandwidth, system call, VM exit) of a
                           calibration: FILE is what 'eastwest calibrate --json' prints; latest is the
                           newest one 'eastwest calibrate' saved (in $EASTWEST_CALIBRATION_DIR, else
                           $XDG_STATE_HOME/eastwest/calibrations, as root /var/lib/eastwest/calibrations),
                           or with --data the newest an agent reported to that collector store
  --data FILE              with --calibration latest: a collector's embedded store (eastwest-data/eastwest.db)
  --packet-bytes N         S, bytes per packet (65536)
  --copies N               copies per packet (4)
  --copy-us US             cost of one copy of S bytes, microseconds (1.2, as the study states)
  --copy-bytes-per-s B     copy bandwidth instead of --copy-us (52e9; 65536 B / 52e9 B/s = 1.26 us)
  --syscalls N             system calls per packet (2)
  --syscall-us US          microseconds per system call (0.5)
  --exits N                VM exits per packet (4)
  --exit-us US             microseconds per VM exit (0.5)
  -h, --help               print this help

Precedence: defaults < --config < --calibration < flags; the output names the constants a calibration set. Setting --packet-bytes or --copy-bytes-per-s without --copy-us
derives the copy cost from bandwidth. Exit status 78 on bad flags or config, with every problem listed.
`;

const SPEC: FlagSpec = {
  ...CONSTANT_FLAG_SPEC,
  json: { type: "boolean" },
  "measured-gbit-s": { type: "string" },
  config: { type: "string", short: "c" },
  "print-config": { type: "boolean" },
  calibration: { type: "string" },
  data: { type: "string" },
  help: { type: "boolean", short: "h" },
};

interface Request {
  constants: ModelConstants;
  /** The calibration applied, when --calibration was given. */
  calibration?: UsedCalibration;
  measuredGbitS?: number;
  json: boolean;
  printConfig: boolean;
  help: boolean;
}

/** Loads what --calibration names (a file, or latest from the saved directory or --data). */
function loadCalibration(arg: string, data: string | undefined, env: NodeJS.ProcessEnv): Promise<Loaded> | Loaded {
  if (arg === "latest") return data === undefined ? latestCalibrationFile(defaultCalibrationDir(env)) : latestFromStore(data);
  if (data !== undefined) return { problem: "--data is only for --calibration latest" };
  return readCalibrationFile(arg);
}

/** argv -> request, or every problem found. Reads the config file and the calibration when given. */
export async function loadModelRequest(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Request | { problems: string[] }> {
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
  let calLayer: ModelLayer = {};
  let calibration: UsedCalibration | undefined;
  const calArg = values.calibration;
  if (typeof values.data === "string" && typeof calArg !== "string") problems.push("--data: needs --calibration latest");
  if (typeof calArg === "string") {
    const loaded = await loadCalibration(calArg, typeof values.data === "string" ? values.data : undefined, env);
    if ("problem" in loaded) problems.push(loaded.problem);
    else {
      calLayer = calibrationLayer(loaded.calibration);
      calibration = { source: loaded.source, timeNs: loaded.calibration.timeNs, use: calibrationUse(loaded.calibration), overridden: Object.keys(flags.layer) };
    }
  }
  if (problems.length > 0) return { problems };
  const constants = resolveConstants(resolveConstants({ ...PAPER_CONSTANTS }, fileLayer), calLayer, flags.layer);
  return { constants, ...(calibration ? { calibration } : {}), measuredGbitS, json: values.json === true, printConfig: values["print-config"] === true, help: values.help === true };
}

function render(req: Request): string {
  const c = ceiling(req.constants);
  const eff = req.measuredGbitS === undefined ? undefined : efficiency(req.measuredGbitS, c);
  if (!req.json) return formatCeiling(c, req.measuredGbitS, eff) + (req.calibration ? calibrationLines(req.calibration).join("\n") + "\n" : "");
  const base = req.measuredGbitS === undefined ? c : { ...c, measured_gbit_s: req.measuredGbitS, efficiency: eff };
  const out = req.calibration ? { ...base, calibration: calibrationJson(req.calibration) } : base;
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
  const req = await loadModelRequest(argv);
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
