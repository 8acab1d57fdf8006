// `eastwest nats-auth`: keys for the agents and collectors named, kept across runs, and an account file that
// nats-server accepts with deploy/nats/nats.conf.
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../../cli/src/main.ts";
import { requireBinary, tempDir } from "../../helpers/procs.ts";
import { run } from "../deploy/files.ts";
import { DEPLOY_CONF } from "./secure-fixtures.ts";

function capture() {
  let out = "";
  return { io: { stdout: (s: string) => void (out += s), stderr: (s: string) => void (out += s) }, out: () => out };
}

describe("eastwest nats-auth", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("nats-auth")));
  afterEach(() => dir.remove());

  it("makes a key per id (0600), keeps them on a re-run, and writes an account nats-server accepts", async () => {
    const c = capture();
    assert.equal(await main(["nats-auth", "--out", dir.path, "--agent", "ns1.lab", "--collector", "c1"], c.io), 0, c.out());
    const seed = join(dir.path, "agents", "ns1.lab.nk");
    assert.equal(statSync(seed).mode & 0o777, 0o600);
    const before = readFileSync(seed, "utf8");
    assert.match(before, /^SU[A-Z2-7]{56}\n$/);
    assert.equal(await main(["nats-auth", "--out", dir.path, "--agent", "h2"], capture().io), 0);
    assert.equal(readFileSync(seed, "utf8"), before, "an existing key is kept");
    const account = readFileSync(join(dir.path, "eastwest-accounts.conf"), "utf8");
    assert.equal(account.match(/nkey: "U[A-Z2-7]{55}"/g)?.length, 3, "two agents and a collector");
    assert.match(account, /"eastwest\.v1\.batch\.\*\.\*\.ns1_2elab"/);
    assert.ok(!account.includes(before.trim()), "no seed in the server's file");
    const conf = join(dir.path, "nats.conf");
    writeFileSync(conf, readFileSync(DEPLOY_CONF, "utf8").replace(/^\s*sync_interval:.*$/m, "").replace(/^\s*tls \{[^}]*\}/m, ""));
    const r = run(requireBinary("nats-server"), ["-t", "-c", conf]);
    assert.equal(r.code, 0, r.output);
  });

  it("refuses bad ids and a missing --out with exit 78, every problem at once", async () => {
    const c = capture();
    assert.equal(await main(["nats-auth", "--agent", "bad id", "--collector", "ok"], c.io), 78);
    assert.match(c.out(), /--out: required[\s\S]*"bad id"/);
  });
});
