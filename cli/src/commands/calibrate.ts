// `eastwest calibrate`: measures this host's cost-model constants and shows the model ceiling with them
// next to the study's.
import { ConfigError, EXIT_CONFIG, errorMessage, toJson } from "@eastwest/common";
import type { Calibration, CalibrationConstant } from "@eastwest/proto";
import { calibrate, realExec } from "@eastwest/agent/calibrate";
import { PAPER_CONSTANTS, packetsUnit, ceiling, constantsFromCalibration, fmtGbit, fmtInt, fmtUs, parseFlags, parseNumber, renderTable, resolveConstants, type Ceiling, type FlagSpec } from "@eastwest/collector/model";
import type { CliCommand, CliIo } from "../types.ts";
import { exitFor } from "../flags.ts";
import { defaultCalibrationDir, saveCalibration } from "../calibration-files.ts";

const USAGE = `usage: eastwest calibrate [flags]

Measures this host's cost-model constants with Debian's perf (package linux-perf):
  copy bandwidth   perf bench mem memcpy (64 KiB buffers; 64 MiB buffers as a DRAM reference)
  system call      perf bench syscall basic (getppid: entry/exit cost)
  VM exit          not measurable from the host: the default is kept
A constant perf cannot measure keeps the study's value and says why. Then prints the model ceiling with
the measured constants next to the study's, and saves the result (the --json document) as
calibration-<time>.json in $EASTWEST_CALIBRATION_DIR (else $XDG_STATE_HOME/eastwest/calibrations; as
root /var/lib/eastwest/calibrations), where 'eastwest model --calibration latest' finds it.

flags:
  --json         print JSON: { calibration, paper, host, host_dram } (ceilings; host_dram when measured)
  --repeats N    runs per benchmark, median kept (1..50, default 5)
  --no-save      do not save the result
  -h, --help     print this help
`;

const SPEC: FlagSpec = { json: { type: "boolean" }, repeats: { type: "string" }, "no-save": { type: "boolean" }, help: { type: "boolean", short: "h" } };

export interface CalibrateDeps {
  calibrate: (opts: { repeats: number }) => Promise<Calibration>;
  /** Where results are saved; undefined: not saved. */
  calibrationDir?: () => string;
}

function valueText(c: CalibrationConstant): string {
  if (c.name.endsWith("_bytes_per_s")) return `${(c.value / 1e9).toFixed(2)} GB/s`;
  if (c.name.endsWith("_us")) return `${Number(c.value.toPrecision(3))} us`;
  return String(c.value);
}

function constantsTable(cal: Calibration): string[] {
  const rows = cal.constants.map((c) => [c.name, valueText(c), c.measured ? "measured" : "default", c.method]);
  const details = cal.constants.filter((c) => c.detail !== "").map((c) => `  ${c.name}: ${c.detail}`);
  return [...renderTable([["constant", "value", "source", "method"], ...rows], true), "", "details:", ...details];
}

function unit(c: Ceiling, term: string): string {
  return `${fmtUs(c.terms.find((t) => t.term === term)?.unit_us ?? 0)} us`;
}

/** Ceilings side by side: the study's, this host's, and this host's with DRAM-size copies when measured. */
function comparisonTable(columns: readonly [string, Ceiling][]): string[] {
  const rate = (c: Ceiling) => (c.packets_per_s === null ? "unbounded" : fmtInt(c.packets_per_s));
  const gbit = (c: Ceiling) => (c.max_gbit_s === null ? "unbounded" : `${fmtGbit(c.max_gbit_s)} Gbit/s`);
  const row = (label: string, cell: (c: Ceiling) => string) => [label, ...columns.map(([, c]) => cell(c))];
  return renderTable([
    ["model", ...columns.map(([name]) => name)],
    row("copy cost per copy", (c) => unit(c, "copies")),
    row("system call", (c) => unit(c, "syscalls")),
    row("VM exit", (c) => unit(c, "exits")),
    row("per packet", (c) => `${fmtUs(c.per_packet_us)} us`),
    row(packetsUnit(PAPER_CONSTANTS.packet_bytes), rate),
    row("ceiling", gbit),
  ]);
}

/** The ceilings to compare; `host_dram` prices copies at the DRAM-size bandwidth. */
export function ceilings(cal: Calibration): Record<string, Ceiling> {
  const host = constantsFromCalibration(cal, PAPER_CONSTANTS);
  const out: Record<string, Ceiling> = { paper: ceiling({ ...PAPER_CONSTANTS }), host: ceiling(host) };
  const dram = cal.constants.find((c) => c.name === "dram_copy_bytes_per_s" && c.measured && c.value > 0);
  if (dram) out.host_dram = ceiling(resolveConstants(host, { copy_bytes_per_s: dram.value }));
  return out;
}

const COLUMN_NAMES: Readonly<Record<string, string>> = { paper: "paper", host: "this host", host_dram: "this host, DRAM copies" };

function parseRepeats(raw: string | boolean | undefined, problems: string[]): number {
  if (typeof raw !== "string") return 5;
  const n = parseNumber("--repeats", raw);
  if ("problem" in n) problems.push(n.problem);
  else if (!Number.isInteger(n.value) || n.value < 1 || n.value > 50) problems.push(`--repeats: must be a whole number in 1..50 (got ${raw})`);
  else return n.value;
  return 5;
}

export function makeCalibrateCommand(deps: CalibrateDeps): CliCommand {
  return {
    name: "calibrate",
    summary: "measure this host's copy bandwidth and system-call cost; show the model ceiling with them",
    usage: USAGE,
    run: async (argv: string[], io: CliIo) => {
      const { values, problems } = parseFlags(argv, SPEC);
      if (values.help === true) return io.stdout(USAGE), 0;
      const repeats = parseRepeats(values.repeats, problems);
      if (problems.length > 0) return io.stderr(`eastwest calibrate: ${new ConfigError(problems).message}\n`), exitFor(problems);
      const cal = await deps.calibrate({ repeats });
      const all = ceilings(cal);
      const columns = Object.entries(all).map(([k, c]): [string, Ceiling] => [COLUMN_NAMES[k] ?? k, c]);
      const doc = { calibration: cal, ...all };
      if (values.json === true) io.stdout(toJson(doc, 2) + "\n");
      else io.stdout([...constantsTable(cal), "", ...comparisonTable(columns), ""].join("\n"));
      if (deps.calibrationDir && values["no-save"] !== true) {
        try {
          const path = saveCalibration(deps.calibrationDir(), doc, cal.timeNs);
          io.stderr(`calibrate: saved to ${path} (use it: eastwest model --calibration latest)\n`);
        } catch (err) {
          io.stderr(`calibrate: not saved: ${errorMessage(err)}\n`);
        }
      }
      return 0;
    },
  };
}

export const calibrateCommand: CliCommand = makeCalibrateCommand({
  calibrate: ({ repeats }) => calibrate({ exec: realExec, repeats }),
  calibrationDir: () => defaultCalibrationDir(),
});
