// A port already taken is a clear error and an exit, at once: `eastwest up` with its HTTP port busy used to hang
// forever (the gRPC listener it had opened kept the process), and `eastwest collector` with its gRPC port busy
// printed grpc-js's "No address added out of total 1 resolved".
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { killAll, start, tempDir } from "../../helpers/procs.ts";

const listen = (): Promise<Server> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
const portOf = (s: Server) => (s.address() as { port: number }).port;

describe("busy ports: a clear error and a prompt exit", function () {
  this.timeout(90_000);
  let dir: ReturnType<typeof tempDir>;
  let taken: Server;
  before(async () => {
    dir = tempDir("busy-port");
    taken = await listen();
  });
  after(async () => {
    await killAll();
    taken?.close();
    dir?.remove();
  });

  it("eastwest up with its HTTP port in use exits non-zero, naming the port", async () => {
    const p = start(["up", "--http-port", String(portOf(taken)), "--grpc-port", "0", "--data", join(dir.path, "up", "s.db")]);
    const code = await Promise.race([p.exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 30_000))]);
    assert.notEqual(code, "hung", `eastwest up did not exit: ${p.stderr().slice(-800)}`);
    assert.notEqual(code, 0);
    assert.match(p.stderr(), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${portOf(taken)} \\(HTTP API\\): address already in use`));
  });

  it("eastwest collector with its gRPC port in use exits 1 with the port's words, not grpc-js's", async () => {
    const p = start(["collector", "--grpc-port", String(portOf(taken)), "--http-port", "0", "--data", join(dir.path, "c", "s.db")]);
    const code = await Promise.race([p.exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 30_000))]);
    assert.equal(code, 1, p.stderr().slice(-800));
    assert.match(p.stderr(), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${portOf(taken)} \\(gRPC\\): address already in use`));
    assert.doesNotMatch(p.stderr(), /No address added/);
  });
});
