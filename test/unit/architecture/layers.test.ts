// The architecture, checked on the sources: packages import one way (proto <- common <- agent | collector <- cli),
// no import cycle among source files (type-only imports included), no hand-written source file over 300 lines,
// and each package's public surface is its package.json exports (no wildcard) pointing at files that exist.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cycles, importsOf, isGenerated, LAYERS, readSource, REPO, sourceFiles, type ImportEdge } from "../../helpers/imports.ts";

const MAX_LINES = 300;
const PACKAGES = LAYERS.map((l) => l.pkg);

function packageEdges(): ImportEdge[] {
  return PACKAGES.flatMap((pkg) => sourceFiles(`${pkg}/src`).flatMap((f) => importsOf(f, readSource(f))));
}

interface PackageJson {
  name: string;
  exports?: Record<string, string>;
  bin?: Record<string, string>;
  workspaces?: string[];
}

const packageJson = (dir: string): PackageJson => JSON.parse(readFileSync(join(REPO, dir, "package.json"), "utf8")) as PackageJson;

describe("architecture", () => {
  const edges = packageEdges();

  it("every workspace package is checked, in its layer", () => {
    const workspaces = packageJson(".").workspaces ?? [];
    for (const pkg of PACKAGES) assert.ok(workspaces.includes(pkg), `${pkg} is a workspace`);
    for (const ws of workspaces) if (ws !== "test") assert.ok(PACKAGES.includes(ws), `workspace ${ws} has a layer`);
    assert.ok(edges.length > 500, `the import reader found ${edges.length} imports`);
  });

  it("packages import one way: agent and collector never each other, nothing imports cli", () => {
    const bad: string[] = [];
    for (const e of edges) {
      const own = e.from.split("/")[0] as string;
      const may = LAYERS.find((l) => l.pkg === own)?.may ?? [];
      if (e.pkg !== undefined && e.pkg !== own && !may.includes(e.pkg)) bad.push(`${e.from}:${e.line} imports ${e.specifier}`);
      if (e.to !== undefined && !e.to.startsWith(`${own}/`)) bad.push(`${e.from}:${e.line} reaches out of ${own}/ by path: ${e.specifier}`);
    }
    assert.deepEqual(bad, []);
  });

  it("no import cycle among source files, type-only imports included", () => {
    assert.deepEqual(cycles(edges).map((c) => c.join(" -> ")), []);
  });

  it(`no hand-written source or test file over ${MAX_LINES} lines`, () => {
    const long: string[] = [];
    for (const f of [...PACKAGES.flatMap((p) => sourceFiles(`${p}/src`)), ...sourceFiles("test")]) {
      if (f.startsWith("test/fixtures/")) continue;
      const text = readSource(f);
      const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
      if (lines > MAX_LINES && !isGenerated(text)) long.push(`${f}: ${lines}`);
    }
    assert.deepEqual(long, []);
  });

  it("each package's entry points are explicit, exist, and are the only way in", () => {
    const problems: string[] = [];
    const exported = new Map<string, Set<string>>();
    for (const pkg of PACKAGES) {
      const pj = packageJson(pkg);
      const exports = pj.exports ?? {};
      exported.set(pj.name, new Set(Object.keys(exports)));
      if (!("." in exports)) problems.push(`${pkg}: no "." export`);
      for (const [key, target] of Object.entries(exports)) {
        if (key.includes("*") || target.includes("*")) problems.push(`${pkg}: wildcard export ${key}`);
        if (!existsSync(join(REPO, pkg, target))) problems.push(`${pkg}: export ${key} -> ${target} does not exist`);
      }
      if (existsSync(join(REPO, pkg, "src/index.ts")) === false) problems.push(`${pkg}: no src/index.ts`);
      for (const [name, target] of Object.entries(pj.bin ?? {})) if (!existsSync(join(REPO, pkg, target))) problems.push(`${pkg}: bin ${name} -> ${target} does not exist`);
    }
    for (const e of edges) {
      const m = /^(@eastwest\/[a-z]+)(\/.*)?$/.exec(e.specifier);
      if (!m) continue;
      const sub = m[2] === undefined ? "." : `.${m[2]}`;
      if (!exported.get(m[1] as string)?.has(sub)) problems.push(`${e.from}:${e.line} imports ${e.specifier}, which ${m[1]} does not export`);
    }
    assert.deepEqual(problems, []);
  });
});

describe("architecture: the import reader", () => {
  it("reads static, type-only, re-export, side-effect and dynamic imports, not those in comments or strings of code", () => {
    const text = [
      `import { a } from "./a.ts";`,
      `import type { B } from "../b.ts";`,
      `export { c } from "./c.ts";`,
      `export * from "@eastwest/common";`,
      `import "./side.ts";`,
      `// import { x } from "./commented.ts";`,
      `/* import { y } from "./block.ts"; */`,
      `const m = await import("./lazy.ts");`,
      `const url = "http://x//not-a-comment"; import { d } from "./d.ts";`,
    ].join("\n");
    const got = importsOf("agent/src/x/file.ts", text).map((e) => [e.specifier, e.to ?? e.pkg, e.typeOnly, e.line]);
    assert.deepEqual(got, [
      ["./a.ts", "agent/src/x/a.ts", false, 1],
      ["../b.ts", "agent/src/b.ts", true, 2],
      ["./c.ts", "agent/src/x/c.ts", false, 3],
      ["@eastwest/common", "common", false, 4],
      ["./side.ts", "agent/src/x/side.ts", false, 5],
      ["./lazy.ts", "agent/src/x/lazy.ts", false, 8],
      ["./d.ts", "agent/src/x/d.ts", false, 9],
    ]);
  });

  it("finds a cycle through a type-only import, and none in a chain", () => {
    const e = (from: string, to: string): ImportEdge => ({ from, to, specifier: to, pkg: undefined, typeOnly: true, line: 1 });
    assert.deepEqual(cycles([e("a", "b"), e("b", "c"), e("c", "a")]), [["a", "b", "c"]]);
    assert.deepEqual(cycles([e("a", "b"), e("b", "c"), e("a", "c")]), []);
  });
});
