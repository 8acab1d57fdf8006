// Runs the agent's settings functions in this process's network namespace (the test starts it under
// `ip netns exec`, since a namespace cannot be entered in-process) and prints one JSON line per step.
//   apply JOURNAL_DIR SETTINGS_JSON TOKEN          apply, then exit without restoring (a crash, as far as the journal knows)
//   apply-restore JOURNAL_DIR SETTINGS_JSON TOKEN  apply, print, restore, print
//   apply-wait JOURNAL_DIR SETTINGS_JSON TOKEN     apply, print, wait for SIGINT, restoreAll (what agent stop() does), print
//   restore-pending JOURNAL_DIR                    what agent start() does
import { createLogger, errorMessage } from "@eastwest/common";
import type { Setting } from "@eastwest/proto";
import { applySettings, restoreAll, restorePending, restoreSettings } from "../../../agent/src/actions/settings/settings.action.ts";
import { realExec } from "../../../agent/src/runtime/exec.ts";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";

const [mode, journalDir, settingsJson, token] = process.argv.slice(2);
const deps = { exec: realExec, fs: hostFs(), logger: createLogger("settings-child", "warn") };
const print = (step: string, value: unknown): void => void process.stdout.write(`${JSON.stringify({ step, value })}\n`);

async function step(name: string, run: () => Promise<unknown>): Promise<boolean> {
  try {
    print(name, await run());
    return true;
  } catch (err) {
    print(name, { error: errorMessage(err) });
    return false;
  }
}

async function main(): Promise<void> {
  if (journalDir === undefined) throw new Error("usage: settings-child MODE JOURNAL_DIR [SETTINGS_JSON TOKEN]");
  const started = await step("restore-pending", () => restorePending(journalDir, deps));
  if (mode === "restore-pending" || !started) return;
  const spec = { token: token ?? "", settings: JSON.parse(settingsJson ?? "[]") as Setting[] };
  const applied = await step("apply", () => applySettings(spec, deps));
  if (mode === "apply" || !applied) return;
  if (mode === "apply-restore") {
    await step("restore", () => restoreSettings({ token: spec.token }, deps));
    return;
  }
  // why: a signal listener alone does not keep the event loop alive.
  const alive = setInterval(() => undefined, 60_000);
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  clearInterval(alive);
  await step("restore-all", () => restoreAll(deps));
}

await main();
