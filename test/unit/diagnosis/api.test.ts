// GET /api/v1/records/run/:id carries the diagnosis: a record stored before the engine gets it computed on read
// from the store (a real embedded store), and one stored with it keeps its own.
import assert from "node:assert/strict";
import { join } from "node:path";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { handle } from "../../../collector/src/http/handlers.ts";
import type { Diagnosis } from "../../../collector/src/diagnosis/types.ts";
import { tempDir } from "../../helpers/procs.ts";
import { loadFixture } from "./fixture.ts";

describe("the run record API carries the diagnosis", () => {
  let dir: ReturnType<typeof tempDir>;
  let store: EmbeddedStore;
  before(async () => {
    dir = tempDir("diag-api");
    store = new EmbeddedStore(join(dir.path, "s.db"));
    await store.open();
  });
  after(async () => {
    await store?.close();
    dir?.remove();
  });

  const get = async (id: string) => {
    const deps = { store, registry: { list: async () => [], get: async () => undefined }, clock: () => 0n };
    return handle({ name: "record", kind: "run", id }, new URLSearchParams(), deps);
  };

  it("an older record (no diagnosis stored) gets one on read, from the store's samples for its window", async () => {
    const fx = loadFixture("checksum-off");
    await store.putRecord("run", "old-run", fx.record);
    const reply = await get("old-run");
    assert.equal(reply.status, 200);
    const d = (reply.body as { doc: { diagnosis: Diagnosis } }).doc.diagnosis;
    assert.equal(d.inputs, "run record and samples");
    // The store holds no samples of the fixture's agents: the rules that need them say so; the record decides the rest.
    assert.match(d.findings.find((f) => f.rule === "offloads")?.explanation ?? "", /^netstate \(offloads\) unavailable: no netstate row for sender /);
    assert.equal(d.findings.find((f) => f.rule === "packet-size")?.verdict, "contributing");
    assert.equal((await store.getRecord("run", "old-run"))?.doc && "diagnosis" in ((await store.getRecord("run", "old-run"))?.doc as object), false, "the stored record is not rewritten");
  });

  it("a record stored with its diagnosis is served as stored", async () => {
    const fx = loadFixture("tbf-200mbit");
    const own: Diagnosis = { engine_version: "0", findings: [], summary: "stored", inputs: "run record and samples" };
    await store.putRecord("run", "new-run", { ...fx.record, diagnosis: own });
    const d = ((await get("new-run")).body as { doc: { diagnosis: Diagnosis } }).doc.diagnosis;
    assert.equal(d.summary, "stored");
  });

  it("another kind of record is served as it is", async () => {
    await store.putRecord("campaign", "c1", { results: 1 });
    const reply = await handle({ name: "record", kind: "campaign", id: "c1" }, new URLSearchParams(), { store, registry: { list: async () => [], get: async () => undefined }, clock: () => 0n });
    assert.equal("diagnosis" in ((reply.body as { doc: object }).doc), false);
  });
});
