// `npm run build:agent` (node scripts/build-agent.ts [--variant bundle|sea|both] [--out DIR] [--no-tarball]): the agent as one
// artifact that needs nothing installed but glibc and libstdc++ (what Node's own Linux binary links against).
//   bundle: DIR/eastwest-agent/ = node (this Node, pinned), eastwest-agent.mjs (esbuild bundle of `eastwest
//           agent`), sockdiag.pl (the tcpinfo sampler's helper, run with perl where perl exists), eastwest-agent
//           (sh launcher with the agent's V8 flags), MANIFEST.json; and DIR/eastwest-agent-linux-<arch>.tar.gz.
//   sea:    DIR/eastwest-agent-sea: a Node single executable application (postject), the same bundle inside.
// Both are measured in the README (size, start-up, RSS); the lab puts the bundle in its guests.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { arch } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { AGENT_MALLOC_ENV, AGENT_V8_FLAGS, MALLOC_MARK } from "../cli/src/agent-v8.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ENTRY = join(ROOT, "scripts/agent/entry.ts");
const SOCKDIAG = join(ROOT, "agent/src/samplers/tcpinfo/sockdiag.pl");
// why: postject's sentinel for Node's SEA fuse (Node's documentation gives this exact string).
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

const sha256 = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");

async function bundle(format: "esm" | "cjs", outfile: string): Promise<void> {
  // why: grpc-js and others call require(); an ESM bundle gets one from createRequire. A CJS bundle (for SEA) has no
  // import.meta: the tcpinfo helper's path is taken from the executable's directory instead.
  const esm = format === "esm";
  await build({
    entryPoints: [ENTRY], bundle: true, platform: "node", target: "node22", format, minify: true, outfile, logLevel: "warning", legalComments: "none",
    banner: { js: esm ? 'import { createRequire as __ewRequire } from "node:module"; const require = __ewRequire(import.meta.url);' : 'const __ewUrl = require("node:url").pathToFileURL(process.execPath).href;' },
    ...(esm ? {} : { define: { "import.meta.url": "__ewUrl" } }),
  });
}

// The malloc settings as 'eastwest agent' sets them (cli/src/agent-v8.ts): each unless the environment has it.
const MALLOC = Object.entries(AGENT_MALLOC_ENV)
  .map(([k, v]) => `if [ -z "\${${k}+set}" ]; then ${k}=${v}; ${MALLOC_MARK}="\${${MALLOC_MARK}:+\$${MALLOC_MARK},}${k}"; export ${k} ${MALLOC_MARK}; fi\n`)
  .join("");

const LAUNCHER = `#!/bin/sh
# eastwest-agent: the bundled agent on the Node beside it (flags and malloc settings as for 'eastwest agent').
d=$(dirname "$0")
${MALLOC}EASTWEST_AGENT_REEXEC=1 exec "$d/node" ${AGENT_V8_FLAGS.join(" ")} "$d/eastwest-agent.mjs" "$@"
`;

/** The bundle layout; returns its directory. scripts/build-dist.ts puts the same layout into the package. */
export async function buildBundle(out: string, version: string, tarball: boolean): Promise<string> {
  const dir = join(out, "eastwest-agent");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await bundle("esm", join(dir, "eastwest-agent.mjs"));
  copyFileSync(process.execPath, join(dir, "node"));
  chmodSync(join(dir, "node"), 0o755);
  copyFileSync(SOCKDIAG, join(dir, "sockdiag.pl"));
  writeFileSync(join(dir, "eastwest-agent"), LAUNCHER, { mode: 0o755 });
  const files = ["node", "eastwest-agent.mjs", "sockdiag.pl", "eastwest-agent"];
  const manifest = { version, node: process.version, arch: arch(), v8Flags: AGENT_V8_FLAGS, env: AGENT_MALLOC_ENV, files: Object.fromEntries(files.map((f) => [f, { bytes: statSync(join(dir, f)).size, sha256: sha256(join(dir, f)) }])) };
  writeFileSync(join(dir, "MANIFEST.json"), JSON.stringify(manifest, null, 2) + "\n");
  if (!tarball) return dir;
  const tgz = join(out, `eastwest-agent-linux-${arch()}.tar.gz`);
  execFileSync("tar", ["-czf", tgz, "-C", out, "eastwest-agent"]);
  return dir;
}

/** The SEA single file; returns its path. */
async function buildSea(out: string): Promise<string> {
  const work = join(out, ".sea");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  await bundle("cjs", join(work, "agent.cjs"));
  // why: V8 flags after the executable's name go to the application in a SEA; they are given in its config instead,
  // and then without a code cache (V8 rejects a cache made under other flags).
  writeFileSync(join(work, "sea.json"), JSON.stringify({ main: join(work, "agent.cjs"), output: join(work, "sea.blob"), disableExperimentalSEAWarning: true, execArgv: AGENT_V8_FLAGS }));
  execFileSync(process.execPath, ["--experimental-sea-config", join(work, "sea.json")], { stdio: "ignore" });
  const file = join(out, "eastwest-agent-sea");
  copyFileSync(process.execPath, file);
  chmodSync(file, 0o755);
  execFileSync(process.execPath, [join(ROOT, "node_modules/postject/dist/cli.js"), file, "NODE_SEA_BLOB", join(work, "sea.blob"), "--sentinel-fuse", SEA_FUSE], { stdio: "ignore" });
  copyFileSync(SOCKDIAG, join(out, "sockdiag.pl"));
  rmSync(work, { recursive: true, force: true });
  return file;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { variant: { type: "string", default: "bundle" }, out: { type: "string", default: join(ROOT, "dist") }, "no-tarball": { type: "boolean" } } });
  const variant = values.variant as string;
  if (!["bundle", "sea", "both"].includes(variant)) throw new Error(`--variant ${variant}: bundle, sea or both`);
  const out = resolve(values.out as string);
  const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
  if (variant !== "sea") process.stdout.write(`${await buildBundle(out, version, !values["no-tarball"])}\n`);
  if (variant !== "bundle") process.stdout.write(`${await buildSea(out)}\n`);
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(`build-agent: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
