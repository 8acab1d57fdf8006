// `npm run build:dist` (node scripts/build-dist.ts [--out DIR]): the whole CLI as JavaScript, for any Node in the
// range of package.json's engines (Node strips TypeScript only outside node_modules, so a package cannot ship the
// sources). DIR/eastwest/ is what the package installs as /usr/lib/eastwest:
//   lib/eastwest.mjs + lib/*.mjs  esbuild bundle of cli/src/main.ts, split at the commands' lazy imports (an agent
//                                 loads neither the collector's store nor node:sqlite), and lib/compact-worker.mjs and
//                                 lib/write-worker.mjs, the embedded store's compaction and writer threads
//   lib/sockdiag.pl               the tcpinfo sampler's helper (found beside the bundle, as in the checkout)
//   node                          the Node that ran this build (pinned; /usr/bin/eastwest uses it unless EASTWEST_NODE),
//                                 stripped of its symbol table where binutils' strip exists (121 -> 103 MB for 24.11)
//   eastwest-agent/               scripts/build-agent.ts's layout for the VM lab's guests, its node a link to ../node
//   MANIFEST.json                 version, Node, arch, and bytes and sha256 of every file
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { arch } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { buildBundle } from "./build-agent.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ENTRY = join(ROOT, "scripts/dist/entry.ts");
const SOCKDIAG = join(ROOT, "agent/src/samplers/tcpinfo/sockdiag.pl");
const COMPACT_WORKER = join(ROOT, "collector/src/store/embedded/compact-worker.ts");
const WRITE_WORKER = join(ROOT, "collector/src/store/embedded/write-worker.ts");
/** The bundle's entry file, relative to lib/ (cli/src/self.ts finds it through EASTWEST_DIST_MAIN). */
const MAIN_FILE = "eastwest.mjs";

interface RootPackage {
  version: string;
  engines: { node: string };
}

export function rootPackage(): RootPackage {
  return JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as RootPackage;
}

/** "22.18" from ">=22.18" (the only form engines uses here). */
export function nodeMinimum(range: string): string {
  const m = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(range.trim());
  if (!m) throw new Error(`package.json engines.node ${JSON.stringify(range)}: expected ">=X.Y"`);
  return m[1] as string;
}

async function bundleCli(lib: string, nodeMin: string): Promise<void> {
  await build({
    // the embedded store's compaction and writer threads are worker files of their own (compact-thread.ts and
    // write-thread.ts find them beside the chunks)
    entryPoints: { eastwest: ENTRY, "compact-worker": COMPACT_WORKER, "write-worker": WRITE_WORKER },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    minify: true,
    outdir: lib,
    outExtension: { ".js": ".mjs" },
    // why: chunks beside the entry, so `new URL(x, import.meta.url)` (sockdiag.pl, the entry itself) resolves
    // the same from any chunk.
    chunkNames: "[name]-[hash]",
    legalComments: "none",
    logLevel: "warning",
    define: { EASTWEST_DIST_MAIN: JSON.stringify(`./${MAIN_FILE}`), EASTWEST_NODE_MIN: JSON.stringify(nodeMin), "import.meta.main": "false" },
    // why: grpc-js, pino and others call require(); an ESM chunk gets one from createRequire.
    banner: { js: 'import { createRequire as __ewRequire } from "node:module"; const require = __ewRequire(import.meta.url);' },
  });
}

const sha256 = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");

/** Every file and link under dir (relative paths). */
function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? listFiles(p, base) : [relative(base, p)];
  });
}

/** strip --strip-unneeded on file; false (and a note) where strip is missing or fails: the file is then as it was. */
function strip(file: string): boolean {
  try {
    execFileSync("strip", ["--strip-unneeded", file], { stdio: ["ignore", "ignore", "pipe"] });
    return true;
  } catch (err) {
    process.stderr.write(`build-dist: node not stripped (${(err as Error).message.split("\n")[0]})\n`);
    return false;
  }
}

function manifest(dir: string, version: string, nodeStripped: boolean): void {
  const files: Record<string, unknown> = {};
  for (const rel of listFiles(dir).sort()) {
    const p = join(dir, rel);
    files[rel] = lstatSync(p).isSymbolicLink() ? { link: readlinkSync(p) } : { bytes: statSync(p).size, sha256: sha256(p) };
  }
  writeFileSync(join(dir, "MANIFEST.json"), JSON.stringify({ version, node: process.version, nodeStripped, arch: arch(), files }, null, 2) + "\n");
}

/** Builds OUT/eastwest (see the head of this file); returns its path. */
export async function buildDist(out: string): Promise<string> {
  const pkg = rootPackage();
  const dir = join(out, "eastwest");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "lib"), { recursive: true });
  await bundleCli(join(dir, "lib"), nodeMinimum(pkg.engines.node));
  copyFileSync(SOCKDIAG, join(dir, "lib/sockdiag.pl"));
  chmodSync(join(dir, "lib/sockdiag.pl"), 0o755);
  copyFileSync(process.execPath, join(dir, "node"));
  chmodSync(join(dir, "node"), 0o755);
  const stripped = strip(join(dir, "node"));
  // why: the guests' agent needs its own Node beside it (the lab copies the directory into an initramfs); a link
  // keeps one copy in the package (the lab reads through it).
  const agent = await buildBundle(dir, pkg.version, false);
  rmSync(join(agent, "node"));
  symlinkSync("../node", join(agent, "node"));
  chmodSync(join(agent, "sockdiag.pl"), 0o755);
  manifest(dir, pkg.version, stripped);
  return dir;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { out: { type: "string", default: join(ROOT, "dist") } } });
  buildDist(resolve(values.out as string)).then(
    (dir) => process.stdout.write(`${dir}\n`),
    (err: unknown) => {
      process.stderr.write(`build-dist: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
