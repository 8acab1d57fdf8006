import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { killAfterAcks } from "./kill9.ts";

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
    const acked = await killAfterAcks(WRITER, path, 30n);

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
