// The source import graph of the workspace packages, read from the files by TypeScript's pre-processor: every
// static `import … from`, `export … from`, side-effect `import "…"` and dynamic `import("…")` with a literal
// specifier, type-only ones included. Used by the architecture tests (package layering, cycles, file size).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The workspace packages whose sources are checked, in layer order (a package may import only earlier ones). */
export const LAYERS: ReadonlyArray<{ pkg: string; may: readonly string[] }> = [
  { pkg: "proto", may: [] },
  { pkg: "common", may: ["proto"] },
  { pkg: "agent", may: ["proto", "common"] },
  { pkg: "collector", may: ["proto", "common"] },
  { pkg: "grafana", may: ["proto", "common"] },
  { pkg: "cli", may: ["proto", "common", "agent", "collector"] },
];

export interface ImportEdge {
  /** Repository-relative path of the importing file. */
  from: string;
  specifier: string;
  /** Repository-relative path of the imported file, for relative specifiers; undefined for packages. */
  to: string | undefined;
  /** The workspace package named by an `@eastwest/<pkg>` specifier. */
  pkg: string | undefined;
  typeOnly: boolean;
  line: number;
}

/** Every import in one TypeScript source text, as TypeScript's own pre-processor reads it (comments and strings are not imports). */
export function importsOf(file: string, text: string): ImportEdge[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((ref) => {
    const specifier = ref.fileName;
    const line = text.slice(0, ref.pos).split("\n").length;
    const statement = text.slice(text.lastIndexOf("\n", ref.pos) + 1, ref.pos);
    const pkgMatch = /^@eastwest\/([a-z]+)/.exec(specifier);
    const to = specifier.startsWith(".") ? relative(REPO, resolve(dirname(join(REPO, file)), specifier)) : undefined;
    return { from: file, specifier, to, pkg: pkgMatch?.[1], typeOnly: /^\s*(import|export)\s+type\s/.test(statement), line };
  });
}

/** Source files of a package's src/ (or the given folder), repository-relative. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(join(REPO, d));
    } catch {
      return;
    }
    for (const name of names) {
      if (name === "node_modules") continue;
      const p = join(d, name);
      if (statSync(join(REPO, p)).isDirectory()) walk(p);
      else if (name.endsWith(".ts")) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Generated files carry a do-not-edit header. */
export function isGenerated(text: string): boolean {
  return /^\/\/ (Code generated|DO NOT EDIT|Generated)/im.test(text.slice(0, 400));
}

/** Import cycles among the given files (relative imports only), each as the list of files around it. */
export function cycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (e.to) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const found: string[][] = [];
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 1);
    stack.push(n);
    for (const m of next.get(n) ?? []) {
      const s = state.get(m);
      if (s === 1) found.push(stack.slice(stack.indexOf(m)));
      else if (s === undefined) visit(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of [...next.keys()].sort()) if (!state.has(n)) visit(n);
  return found;
}

export function readSource(file: string): string {
  return readFileSync(join(REPO, file), "utf8");
}
