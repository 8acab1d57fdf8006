// `eastwest campaign run SPEC --api URL`: the spec is checked here first (a syntax error names the file and line,
// exit 78, whether or not a collector answers), and a collector that is not there is "connection refused".
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLI, freePort, tempDir } from "../../helpers/procs.ts";

const FIXTURES = fileURLToPath(new URL("../../fixtures/campaign/", import.meta.url));
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });

describe("cli: campaign run --api, before the collector", function () {
  this.timeout(60_000);

  it("a YAML syntax error: exit 78, naming the file and the line, nothing sent", async () => {
    const port = await freePort();
    const spec = join(FIXTURES, "invalid-yaml.yaml");
    const r = cli(["campaign", "run", spec, "--api", `http://127.0.0.1:${port}`]);
    assert.equal(r.status, 78, r.stderr);
    assert.match(r.stderr, new RegExp(`${spec.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not valid YAML: Map keys must be unique at line 2`));
    assert.doesNotMatch(r.stderr, /cannot reach/);
  });

  it("an invalid spec (valid YAML): exit 78 with every problem, nothing sent", async () => {
    const port = await freePort();
    const r = cli(["campaign", "run", join(FIXTURES, "invalid-many.yaml"), "--api", `http://127.0.0.1:${port}`]);
    assert.equal(r.status, 78, r.stderr);
    assert.match(r.stderr, /invalid-many\.yaml: /);
    assert.doesNotMatch(r.stderr, /cannot reach/);
  });

  it("a missing file: exit 78 naming it", () => {
    const dir = tempDir("spec");
    try {
      const r = cli(["campaign", "run", join(dir.path, "nope.yaml"), "--api", "http://127.0.0.1:7471"]);
      assert.equal(r.status, 78);
      assert.match(r.stderr, /nope\.yaml: cannot read the spec/);
    } finally {
      dir.remove();
    }
  });

  it("a valid spec and no collector: 'connection refused', not 'fetch failed'", async () => {
    const port = await freePort();
    const r = cli(["campaign", "run", join(FIXTURES, "table1.yaml"), "--api", `http://127.0.0.1:${port}`]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`cannot reach the collector at http://127\\.0\\.0\\.1:${port}/api/v1/campaigns: connection refused`));
  });
});
