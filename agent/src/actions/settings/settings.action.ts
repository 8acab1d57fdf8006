// The agent's settings actions (apply_settings, restore_settings) on one keeper per process, and the two
// lifecycle hooks: restorePending at start (journals of a crashed predecessor), restoreAll at stop.
import type { ApplySettings, RestoreSettings } from "@eastwest/proto";
import { defaultStateDir } from "../../runtime/state-dir.ts";
import type { SettingsDeps } from "./settings.host.ts";
import { SettingsKeeper, type ApplyReport, type RestoreReport } from "./settings.keeper.ts";

export type { SettingsDeps } from "./settings.host.ts";
export { SettingsError, SettingsKeeper, type ApplyReport, type RestoreReport } from "./settings.keeper.ts";

/** /var/lib/eastwest/settings for root (the only user that can change these settings), else a per-user temp dir. */
export function defaultJournalDir(): string {
  return defaultStateDir("settings");
}

const keeper = new SettingsKeeper(defaultJournalDir());

export function applySettings(spec: ApplySettings, deps: SettingsDeps): Promise<ApplyReport> {
  return keeper.apply(spec, deps);
}

export function restoreSettings(spec: RestoreSettings, deps: SettingsDeps): Promise<RestoreReport> {
  return keeper.restore(spec.token, deps);
}

/**
 * At agent start: makes `journalDir` the journal of this process and restores (and verifies) every snapshot an
 * earlier agent process in this network namespace left pending. Unverified ones stay journaled and pending.
 */
export function restorePending(journalDir: string, deps: SettingsDeps): Promise<RestoreReport[]> {
  keeper.journalDir = journalDir;
  return keeper.restoreJournals(deps);
}

/** At agent stop (also Ctrl-C): restores every pending token. Never throws. */
export function restoreAll(deps: SettingsDeps): Promise<RestoreReport[]> {
  return keeper.restoreAll(deps);
}
