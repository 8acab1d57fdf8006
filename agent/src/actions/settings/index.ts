// Registers applySettings and restoreSettings with the command registry.
import { bumpSettingsGeneration } from "../../runtime/generation.ts";
import { on } from "../registry.ts";
import type { CommandDeps } from "../types.ts";
import { applySettings, restoreSettings } from "./settings.action.ts";

/** why: samplers caching host state (netstate) must re-read it, also after a failed (rolled back) apply. */
async function thenBump<T>(run: Promise<T>): Promise<T> {
  try {
    return await run;
  } finally {
    bumpSettingsGeneration();
  }
}

const host = (deps: CommandDeps) => ({ exec: deps.exec, fs: deps.fs, logger: deps.logger });

on("applySettings", (value, deps, signal) => thenBump(applySettings(value, { ...host(deps), signal })));
// why: no signal: a restore runs to the end even past its deadline; a half-done restore is worse than a late one.
on("restoreSettings", (value, deps) => thenBump(restoreSettings(value, host(deps))));
