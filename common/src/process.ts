// Process-wide facts and hooks every program shares: its version, and which of Node's warnings it drops.

/** eastwest's version (the root package.json's; a unit test keeps them equal). In every hello and `--version`. */
export const VERSION = "0.1.0";

type WarningTest = (message: string, type: string, code: string) => boolean;
const dropped: WarningTest[] = [];

/**
 * Drops the warnings `test` matches, and only those, from process.emitWarning (Node's own experimental and
 * deprecation warnings go through it). why: such a warning is a non-JSON line on a program's stderr that the
 * operator can do nothing about; each use names the warning and why it is safe to drop.
 */
export function dropWarning(test: WarningTest): void {
  if (dropped.length === 0) {
    const emit = process.emitWarning.bind(process) as (...a: unknown[]) => void;
    process.emitWarning = ((...args: unknown[]) => {
      const [warning, typeOrOptions, code] = args;
      const message = warning instanceof Error ? warning.message : String(warning);
      const o = typeof typeOrOptions === "object" && typeOrOptions !== null ? (typeOrOptions as { type?: string; code?: string }) : undefined;
      const type = o?.type ?? (warning instanceof Error ? warning.name : typeof typeOrOptions === "string" ? typeOrOptions : "Warning");
      const c = o?.code ?? (typeof code === "string" ? code : ((warning as { code?: string } | undefined)?.code ?? ""));
      if (dropped.some((t) => t(message, type, c))) return;
      emit(...args);
    }) as typeof process.emitWarning;
  }
  dropped.push(test);
}

/**
 * Node 22-24 print "SQLite is an experimental feature and might change at any time" when node:sqlite loads (the
 * embedded store). Dropped on purpose: eastwest pins the Node it runs on, and the embedded store's tests cover the
 * API it uses; the warning told every user of every command about a choice they cannot change.
 */
export function dropSqliteWarning(): void {
  dropWarning((message, type) => type === "ExperimentalWarning" && message.startsWith("SQLite is an experimental feature"));
}
