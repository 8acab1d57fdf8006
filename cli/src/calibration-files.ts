// Where `eastwest calibrate` keeps its results and how `eastwest model --calibration` finds them: one JSON file per
// calibration (the --json output), named by its time so the newest sorts last; or an agent's calibration as its
// hello carried it into a collector's store.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { errorMessage, toJson } from "@eastwest/common";
import { parseCalibrationDoc, type CalibrationDoc } from "@eastwest/collector/model";

/** EASTWEST_CALIBRATION_DIR, else /var/lib/eastwest/calibrations as root, else $XDG_STATE_HOME/eastwest/calibrations. */
export function defaultCalibrationDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.()): string {
  if (env["EASTWEST_CALIBRATION_DIR"]) return env["EASTWEST_CALIBRATION_DIR"];
  return uid === 0 ? "/var/lib/eastwest/calibrations" : join(env["XDG_STATE_HOME"] || join(homedir(), ".local", "state"), "eastwest", "calibrations");
}

const FILE_RE = /^calibration-\d{8}T\d{6}(\.\d+)?Z\.json$/;

/** "calibration-20261207T002206.123Z.json" for the time of the calibration. */
export function calibrationFileName(timeNs: bigint): string {
  const ms = Number(timeNs / 1_000_000n);
  const iso = new Date(Number.isFinite(ms) && ms > 0 ? ms : Date.now()).toISOString().replace(/[-:]/g, "");
  return `calibration-${iso}.json`;
}

/** Writes the document (what `calibrate --json` prints) into dir; returns its path. */
export function saveCalibration(dir: string, doc: unknown, timeNs: bigint): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, calibrationFileName(timeNs));
  writeFileSync(path, toJson(doc, 2) + "\n");
  return path;
}

export type Loaded = { calibration: CalibrationDoc; source: string } | { problem: string };

/** The calibration in a file, or "--calibration FILE: <reason>". */
export function readCalibrationFile(path: string): Loaded {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    return { problem: `--calibration ${path}: ${errorMessage(err)}` };
  }
  const r = parseCalibrationDoc(text);
  return "problem" in r ? { problem: `--calibration ${path}: ${r.problem}` } : { calibration: r.calibration, source: path };
}

/** The newest calibration saved in dir. */
export function latestCalibrationFile(dir: string): Loaded {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => FILE_RE.test(n)).sort();
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : errorMessage(err);
    return { problem: `--calibration latest: ${dir} ${why}: run 'eastwest calibrate' first (it saves there), or give --calibration FILE` };
  }
  const newest = names.at(-1);
  if (newest === undefined) return { problem: `--calibration latest: no saved calibration in ${dir}: run 'eastwest calibrate' first, or give --calibration FILE` };
  return readCalibrationFile(join(dir, newest));
}

/** The newest calibration any agent reported to the collector store at dbPath (agents send theirs in their hello). */
export async function latestFromStore(dbPath: string): Promise<Loaded> {
  if (!existsSync(dbPath)) return { problem: `--data ${dbPath}: no such store file` };
  const { EmbeddedStore } = await import("@eastwest/collector");
  const store = new EmbeddedStore(dbPath);
  let best: { calibration: CalibrationDoc; source: string } | undefined;
  try {
    await store.open();
    for (const a of await store.listAgents()) {
      if (a.calibration === null || a.calibration === undefined) continue;
      const r = parseCalibrationDoc(toJson(a.calibration));
      if ("problem" in r) continue;
      if (best === undefined || (r.calibration.timeNs ?? 0n) > (best.calibration.timeNs ?? 0n)) best = { calibration: r.calibration, source: `agent ${a.agentId} in ${dbPath}` };
    }
  } catch (err) {
    return { problem: `--data ${dbPath}: ${errorMessage(err)}` };
  } finally {
    await store.close();
  }
  return best ?? { problem: `--calibration latest: no agent in ${dbPath} reported a calibration (an agent started with --calibrate sends one)` };
}
