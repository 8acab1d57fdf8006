// The HTTP API's access rules as an operator meets them: real `eastwest collector` processes and the CLI
// (`eastwest token`, `run`, `vms`) as separate processes. Off loopback without tokens the collector refuses to
// start (78) unless http.insecure, which it logs as a warning; tokens made by `eastwest token new` work at once;
// the local CLI finds the collector's own token on loopback.
import assert from "node:assert/strict";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jsonLine, killAll, start, tempDir, type Proc } from "../../helpers/procs.ts";

describe("http api access (collector and CLI processes)", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  before(() => (dir = tempDir("http-proc")));
  after(async () => {
    await killAll();
    dir.remove();
  });

  async function collector(args: string[], env: Record<string, string> = {}): Promise<{ proc: Proc; base: string }> {
    const proc = start(["collector", "--grpc-port", "0", "--http-port", "0", "--data", join(dir.path, "c.db"), ...args], { env });
    const ports = await jsonLine<{ http_port: number }>(proc);
    return { proc, base: `http://127.0.0.1:${ports.http_port}` };
  }

  async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
    const p = start(args, { env });
    const code = await p.exited;
    return { code, out: p.stdout(), err: p.stderr() };
  }

  it("refuses a non-loopback address without a token file (exit 78), flag or env", async () => {
    for (const [args, env] of [[["--http-host", "0.0.0.0"], {}], [[], { EASTWEST_HTTP_HOST: "::" }]] as const) {
      const r = await cli(["collector", "--grpc-port", "0", "--data", join(dir.path, "x.db"), ...args], env);
      assert.equal(r.code, 78, r.err);
      assert.match(r.err, /http\.host: (0\.0\.0\.0|::) is not a loopback address: set http\.tokenFile .* or, to serve without authentication, http\.insecure: true/);
    }
  });

  it("serves off loopback with http.insecure, logging a warning, without authentication", async () => {
    const { proc, base } = await collector(["--http-host", "0.0.0.0", "--http-insecure"]);
    assert.match(proc.stderr(), /"level":40,.*"msg":"http\.insecure: the HTTP API serves and accepts commands without authentication"/);
    const res = await fetch(`${base}/api/v1/agents/none/hold`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(res.status, 400, "past authentication: the body is judged");
    await res.text();
    const text = await fetch(`${base}/api/v1/agents/none/hold`, { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
    assert.equal(text.status, 415, "insecure still takes JSON only");
    await text.text();
    await proc.kill();
  });

  it("takes tokens made by `eastwest token new` (write: POST, read: 403) and gives the local CLI its own token", async () => {
    const file = join(dir.path, "tokens");
    const write = await cli(["token", "new", "--file", file, "--scope", "write", "--name", "ops"]);
    assert.equal(write.code, 0, write.err);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const { proc, base } = await collector(["--http-token-file", file]);
    const local = join(dir.path, "api-token");
    assert.equal(statSync(local).mode & 0o777, 0o600, "the local token is private to the collector's user");
    const readOut = join(dir.path, "read-token");
    const read = await cli(["token", "new", "--file", file, "--name", "viewer", "--out", readOut]);
    assert.equal(read.code, 0, read.err);
    assert.equal(read.out, "", "--out: the token goes to the file only");
    // why: a run that passes authentication is then refused for its duration (400, exit 78) at once; runs
    // between agents that are not connected wait for them first.
    const runArgs = ["run", "--api", base, "--server", "s", "--client", "c", "--server-address", "127.0.0.1", "--duration-s", "0"];
    const anon = await cli(runArgs, { EASTWEST_STORE_PATH: join(dir.path, "elsewhere", "x.db") });
    assert.equal(anon.code, 1);
    assert.match(anon.err, /collector answered 401: a bearer token with scope write is required .*eastwest token new/);
    const viewer = await cli([...runArgs, "--token-file", readOut]);
    assert.match(viewer.err, /collector answered 403: token viewer has scope read; POST needs write/);
    for (const env of [{ EASTWEST_TOKEN: write.out.trim() }, { EASTWEST_STORE_PATH: join(dir.path, "c.db") }] as Array<Record<string, string>>) {
      const ok = await cli(runArgs, env);
      assert.equal(ok.code, 78, "authorised: the body is judged");
      assert.match(ok.err, /durationS: Too small/);
    }
    const vms = await cli(["vms", "--api", base, "--json"]);
    assert.equal(vms.code, 0, `GET stays open on loopback: ${vms.err}`);
    await proc.kill();
  });

  it("refuses to start with a bad token file, naming every bad line (exit 78)", async () => {
    const file = join(dir.path, "bad-tokens");
    writeFileSync(file, "# comment\nsha256:abc write x\nsha256:" + "0".repeat(64) + " admin y\n", { mode: 0o600 });
    const r = await cli(["collector", "--grpc-port", "0", "--http-port", "0", "--data", join(dir.path, "b.db"), "--http-token-file", file]);
    assert.equal(r.code, 78);
    assert.match(r.err, /bad-tokens:2: expected "sha256:<64 lowercase hex> <read\|write> <name>"/);
    assert.match(r.err, /bad-tokens:3: scope "admin" is not read or write/);
  });
});
