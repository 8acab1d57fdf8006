// Snapshot -> apply -> restore, keyed by the ApplySettings token. Operations run one at a time.
// Contract: before the first change every touched setting is read and journaled; an apply that fails
// (tool error, read-back mismatch, deadline or cancel) restores everything and fails; a restore verifies
// each setting by reading it back and keeps the journal until it is verified.
import { join } from "node:path";
import { EastwestError, ValidationError, errorMessage } from "@eastwest/common";
import type { ApplySettings } from "@eastwest/proto";
import { netnsId } from "../../identity.ts";
import { applyEntry } from "./settings.apply.ts";
import { entryOf, reportOf, warningsOf, type Entry, type SettingReport } from "./settings.entry.ts";
import type { SettingsDeps } from "./settings.host.ts";
import { JOURNAL_VERSION, listJournals, netnsTag, removeJournal, writeJournal, type JournalDoc, type JournalFile } from "./settings.journal.ts";
import { TOKEN, changeKey, holdKey } from "./settings.kinds.ts";
import { probeHost } from "./settings.probe.ts";
import { restoreEntries } from "./settings.restore.ts";
import { checkProbe, parseSettings } from "./settings.validate.ts";

export interface ApplyReport {
  token: string;
  state: "applied";
  settings: SettingReport[];
  warnings: string[];
}

export interface RestoreReport {
  token: string;
  /** already-restored: a second restore (no-op); unknown: nothing is held under this token; skipped/discarded: journals at start. */
  state: "restored" | "not-verified" | "already-restored" | "unknown" | "skipped" | "discarded";
  verified: boolean;
  settings: SettingReport[];
  detail?: string;
}

/** An apply that failed (and was rolled back) or a restore that could not be verified; `report` says what was read back. */
export class SettingsError extends EastwestError {
  readonly report: RestoreReport;
  constructor(message: string, report: RestoreReport, options?: { cause?: unknown }) {
    super(message, options);
    this.report = report;
  }
}

interface Pending {
  entries: Entry[];
  /** What each entry read back after its apply; undefined when not applied (or journaled by an earlier process). */
  applied: Array<string | undefined>;
  journal: string;
}

interface Scope {
  journalDir: string;
  dir: string;
  netns: string;
  bootId: string;
}

/** Tokens remembered as restored (a second restore is a no-op success). */
const DONE_LIMIT = 1024;

function unverified(r: RestoreReport): string {
  const label = (s: SettingReport): string => [s.kind, s.target, s.name].filter((w) => w !== "").join(" ");
  return r.settings.filter((s) => s.verified !== true).map((s) => `${label(s)}: ${s.detail ?? `before ${s.before}, now ${s.restored ?? "unread"}`}`).join("; ");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class SettingsKeeper {
  /** Root of the journal; the files live in a per-network-namespace subdirectory. */
  journalDir: string;
  readonly #pending = new Map<string, Pending>();
  readonly #done = new Set<string>();
  #tail: Promise<unknown> = Promise.resolve();
  #scope: Scope | undefined;

  constructor(journalDir: string) {
    this.journalDir = journalDir;
  }

  /** Tokens applied and not yet restored (verified). */
  pendingTokens(): string[] {
    return [...this.#pending.keys()];
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #scopeOf(deps: SettingsDeps): Promise<Scope> {
    if (this.#scope?.journalDir === this.journalDir) return this.#scope;
    const netns = await netnsId(deps.fs);
    const bootId = await deps.fs.proc("sys/kernel/random/boot_id").then((s) => s.trim(), () => "");
    this.#scope = { journalDir: this.journalDir, dir: join(this.journalDir, netnsTag(netns)), netns, bootId };
    return this.#scope;
  }

  #held(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [token, p] of this.#pending) for (const e of p.entries) out.set(holdKey(e.change), token);
    return out;
  }

  #remember(token: string): void {
    this.#done.delete(token);
    this.#done.add(token);
    if (this.#done.size > DONE_LIMIT) this.#done.delete(this.#done.values().next().value as string);
  }

  /** Validates every setting (all problems at once), journals the snapshot, applies in order. */
  apply(spec: ApplySettings, deps: SettingsDeps): Promise<ApplyReport> {
    return this.#serial(async () => {
      const { drafts, problems } = parseSettings(spec);
      if (this.#pending.has(spec.token)) problems.push(`token: ${JSON.stringify(spec.token)} has applied settings; restore it first`);
      const probe = await probeHost(drafts, deps);
      problems.push(...checkProbe(drafts, probe, spec.token, this.#held()));
      if (problems.length > 0) throw new ValidationError(`invalid apply_settings command: ${problems.join("; ")}`);
      const entries = drafts.map((d) => entryOf(d, probe));
      const scope = await this.#scopeOf(deps);
      const { bootId, netns } = scope;
      const doc: JournalDoc = { version: JOURNAL_VERSION, token: spec.token, pid: process.pid, bootId, netns, createdMs: Date.now(), entries };
      const pending: Pending = { entries, applied: [], journal: await writeJournal(scope.dir, doc) };
      this.#pending.set(spec.token, pending);
      this.#done.delete(spec.token);
      for (const [i, e] of entries.entries()) {
        try {
          if (deps.signal?.aborted) throw new Error("the command deadline passed or it was cancelled");
          pending.applied[i] = await applyEntry(e, deps, deps.signal);
        } catch (err) {
          throw await this.#rollback(spec.token, pending, i, err, deps);
        }
      }
      return { token: spec.token, state: "applied", settings: entries.map((e, i) => reportOf(e, pending.applied[i])), warnings: warningsOf(entries) };
    });
  }

  async #rollback(token: string, pending: Pending, failed: number, err: unknown, deps: SettingsDeps): Promise<SettingsError> {
    const report = await this.#restoreToken(token, pending, deps);
    const what = `settings[${failed}] (${changeKey((pending.entries[failed] as Entry).change)})`;
    const tail = report.verified
      ? "every setting was restored to its snapshot (verified)"
      : `ROLLBACK NOT VERIFIED: ${unverified(report)}; the journal is kept and restore_settings ${token} retries`;
    return new SettingsError(`apply_settings ${token}: ${what} failed: ${errorMessage(err)}; ${tail}`, report, { cause: err });
  }

  async #restoreToken(token: string, pending: Pending, deps: SettingsDeps): Promise<RestoreReport> {
    const settings = await restoreEntries(pending.entries, pending.applied, deps);
    const verified = settings.every((s) => s.verified === true);
    if (verified) {
      this.#pending.delete(token);
      this.#remember(token);
      await removeJournal(pending.journal).catch((err: unknown) => {
        // why: harmless: the next start finds nothing to change and removes it then.
        deps.logger.warn({ token, journal: pending.journal, err: errorMessage(err) }, "settings restored; journal not removed");
      });
    }
    return { token, state: verified ? "restored" : "not-verified", verified, settings };
  }

  /** Restores the token's snapshot and verifies it; a restored or unknown token is a no-op success. */
  restore(token: string, deps: SettingsDeps): Promise<RestoreReport> {
    return this.#serial(async () => {
      if (typeof token !== "string" || !TOKEN.test(token)) {
        throw new ValidationError(`invalid restore_settings command: token: expected ${TOKEN.source}, got ${JSON.stringify(token)}`);
      }
      const pending = this.#pending.get(token);
      if (pending === undefined) return { token, state: this.#done.has(token) ? "already-restored" : "unknown", verified: true, settings: [] };
      const report = await this.#restoreToken(token, pending, deps);
      const kept = "the journal is kept and a second restore_settings retries";
      if (!report.verified) throw new SettingsError(`restore_settings ${token}: not verified: ${unverified(report)}; ${kept}`, report);
      return report;
    });
  }

  /** Every journal of this network namespace left by an earlier process: restored and verified. Never throws for one file. */
  restoreJournals(deps: SettingsDeps): Promise<RestoreReport[]> {
    return this.#serial(async () => {
      const scope = await this.#scopeOf(deps);
      const out: RestoreReport[] = [];
      let files: JournalFile[];
      try {
        files = await listJournals(scope.dir);
      } catch (err) {
        deps.logger.error({ journal: scope.dir, err: errorMessage(err) }, "settings journal not readable; nothing restored");
        return [{ token: "", state: "skipped", verified: false, settings: [], detail: `${scope.dir}: ${errorMessage(err)}` }];
      }
      for (const f of files) {
        if ("error" in f) {
          deps.logger.error({ journal: f.path, err: f.error }, "settings journal unreadable; left in place");
          out.push({ token: f.path, state: "skipped", verified: false, settings: [], detail: f.error });
        } else if (!this.#pending.has(f.doc.token)) out.push(await this.#restoreFile(f.path, f.doc, scope, deps));
      }
      return out;
    });
  }

  async #restoreFile(path: string, doc: JournalDoc, scope: Scope, deps: SettingsDeps): Promise<RestoreReport> {
    const base = { token: doc.token, settings: [] };
    if (doc.bootId !== scope.bootId) {
      await removeJournal(path);
      return { ...base, state: "discarded", verified: true, detail: "written before the last reboot: the kernel started from its own values" };
    }
    if (doc.pid !== process.pid && alive(doc.pid)) return { ...base, state: "skipped", verified: false, detail: `held by the live agent pid ${doc.pid}` };
    const pending: Pending = { entries: doc.entries, applied: [], journal: path };
    this.#pending.set(doc.token, pending);
    const report = await this.#restoreToken(doc.token, pending, deps);
    if (report.verified) deps.logger.info({ token: doc.token, settings: report.settings.length }, "settings of a previous agent process restored");
    else deps.logger.error({ token: doc.token, problems: unverified(report) }, "settings of a previous agent process not restored; restore_settings retries");
    return report;
  }

  /** Restores every pending token (the agent stopping). Never throws; unverified ones are logged and stay journaled. */
  restoreAll(deps: SettingsDeps): Promise<RestoreReport[]> {
    return this.#serial(async () => {
      const out: RestoreReport[] = [];
      for (const [token, pending] of [...this.#pending]) {
        const report = await this.#restoreToken(token, pending, deps);
        if (!report.verified) deps.logger.error({ token, problems: unverified(report) }, "settings not restored; the journal is kept for the next start");
        out.push(report);
      }
      return out;
    });
  }
}
