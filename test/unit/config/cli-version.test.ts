// `eastwest --version` / `-V`, also after any command; the version is the root package's; no program prints Node's
// SQLite experimental warning (the embedded store loads node:sqlite).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { VERSION } from "@eastwest/common/process";
import { CLI, tempDir } from "../../helpers/procs.ts";

const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });

describe("cli: version and warnings", function () {
  this.timeout(120_000);

  it("VERSION is the root package.json's", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
    assert.equal(VERSION, pkg.version);
  });

  it("--version and -V alone and after a command print the version and exit 0", () => {
    for (const args of [["--version"], ["-V"], ["agent", "--version"], ["collector", "-V"], ["campaign", "run", "--version"]]) {
      const r = run(args);
      assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, `eastwest ${VERSION} (node ${process.version})\n`, args.join(" "));
    }
    // after `--` it is an argument, not the flag: the command sees it (here: a stray argument, a usage error)
    assert.notEqual(run(["collector", "--", "--version"]).stdout, `eastwest ${VERSION} (node ${process.version})\n`);
  });

  it("a command that opens the embedded store prints no SQLite experimental warning", () => {
    const dir = tempDir("cli-warn");
    try {
      const r = run(["campaign", "list", "--data", join(dir.path, "s.db")]);
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /ExperimentalWarning|SQLite is an experimental/);
      // the filter drops that warning only: another experimental warning still reaches stderr
      const other = spawnSync(process.execPath, ["--input-type=module", "-e", `import { dropSqliteWarning } from "@eastwest/common/process"; dropSqliteWarning(); await import("node:sqlite"); process.emitWarning("something else", "ExperimentalWarning");`], { encoding: "utf8", cwd: fileURLToPath(new URL("../../", import.meta.url)) });
      assert.doesNotMatch(other.stderr, /SQLite/);
      assert.match(other.stderr, /ExperimentalWarning: something else/);
    } finally {
      dir.remove();
    }
  });
});
