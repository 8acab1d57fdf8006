// Regenerates the TypeScript from the .proto files into a temp dir and fails
// when it differs from the committed src/gen (someone edited one without the other).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const protoDir = new URL("..", import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), "eastwest-gen-"));
const template = readFileSync(join(protoDir, "buf.gen.yaml"), "utf8").replace("out: src/gen", `out: ${join(tmp, "gen")}`);
writeFileSync(join(tmp, "buf.gen.yaml"), template);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
}
try {
  execFileSync("npx", ["buf", "generate", "--template", join(tmp, "buf.gen.yaml")], { cwd: protoDir, stdio: "inherit" });
  const fresh = new Map(walk(join(tmp, "gen")).map((f) => [relative(join(tmp, "gen"), f), readFileSync(f, "utf8")]));
  const committed = new Map(walk(join(protoDir, "src/gen")).map((f) => [relative(join(protoDir, "src/gen"), f), readFileSync(f, "utf8")]));
  const drift = [...new Set([...fresh.keys(), ...committed.keys()])].filter((k) => fresh.get(k) !== committed.get(k));
  if (drift.length > 0) {
    console.error(`generated code drifted from proto/eastwest: ${drift.join(", ")}; run 'npm run gen' and commit`);
    process.exit(1);
  }
  console.log(`proto: generated code matches (${fresh.size} file(s))`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
