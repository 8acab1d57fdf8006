import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";

const WRITER = fileURLToPath(new URL("./kill9-writer.ts", import.meta.url));

describe("embedded store durability", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "eastwest-kill9-"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps every batch acknowledged before kill -9", async () => {
    const path = join(dir, "store.db");
    const child = spawn(process.execPath, ["--no-warnings", WRITER, path], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    let acked = 0n;
    await new Promise<void>((resolve, reject) => {
      let buf = "";
      child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split("\n");
        buf = lines.pop() ?? "";
        for (const line of lines) acked = BigInt(line);
        if (acked >= 30n) resolve();
      });
      child.once("exit", (code) => reject(new Error(`writer exited (${code}) before 30 acks: ${stderr}`)));
    });
    child.kill("SIGKILL");
    await exited;

    const store = new EmbeddedStore(path);
    await store.open();
    try {
      const highest = await store.highestSeq("k9");
      assert.ok(highest >= acked, `highest ${highest} < last acked ${acked}`);
      assert.deepEqual(await store.gaps("k9"), []);
      const [series] = await store.query({ measurement: "eastwest_agent", fromNs: 0n, toNs: (acked + 1n) * 1_000_000_000n - 1n });
      assert.equal(series?.values.length, Number(acked) * 50);
    } finally {
      await store.close();
    }
  });
});
