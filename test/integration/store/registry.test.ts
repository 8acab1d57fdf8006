import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hello, Role } from "@eastwest/proto";
import { Registry } from "../../../collector/src/control/registry.ts";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";

const T0 = 1_700_000_000_000_000_000n;
const S = 1_000_000_000n;

function hello(agentId: string): Hello {
  return Hello.fromPartial({
    agentId,
    role: Role.ROLE_GUEST,
    hostname: "vm1",
    kernel: "6.1.0-13-amd64",
    machineUuid: "uuid-vm1",
    netns: "net:[4026531840]",
    capabilities: [{ sampler: "qmp", available: false, reason: "unavailable: no QMP socket", intervalMs: 1000 }],
    agentVersion: "0.1.0",
    calibration: { constants: [{ name: "syscall_ns", value: 480.5, measured: true, method: "perf bench syscall basic" }], timeNs: T0 },
    pid: 77,
    cpuModel: "Example CPU @ 2.50GHz",
    toolVersions: { iperf3: "iperf 3.12", qemu: "" },
  });
}

describe("agent registry", () => {
  let dir: string;
  let store: EmbeddedStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "eastwest-registry-"));
    store = new EmbeddedStore(join(dir, "store.db"));
    await store.open();
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("records an agent's identity on hello and writes it through", async () => {
    await store.writeBatch({ agentId: "vm1", seq: 4n, points: [], receivedNs: T0 });
    const reg = new Registry(store);
    await reg.onHello(hello("vm1"), T0);
    const a = await reg.get("vm1");
    assert.equal(a?.role, "guest");
    assert.equal(a?.connected, true);
    assert.equal(a?.highestSeq, 4n, "highest seq comes from the store");
    assert.deepEqual(a?.capabilities, [{ sampler: "qmp", available: false, reason: "unavailable: no QMP socket", intervalMs: 1000 }]);
    assert.equal((await store.getAgent("vm1"))?.cpuModel, "Example CPU @ 2.50GHz", "the CPU model is kept for manifests");
    assert.deepEqual(await store.getAgent("vm1"), a);
  });

  it("tracks last seen and highest seq from batches, writing at most once per interval", async () => {
    const reg = new Registry(store, { persistEveryNs: 10n * S });
    await reg.onHello(hello("vm1"), T0);
    reg.onBatch("vm1", 1n, T0 + S);
    reg.onBatch("vm1", 3n, T0 + 2n * S);
    reg.onBatch("vm1", 2n, T0 + 3n * S);
    const a = await reg.get("vm1");
    assert.equal(a?.highestSeq, 3n);
    assert.equal(a?.lastSeenNs, T0 + 3n * S);
    assert.equal((await store.getAgent("vm1"))?.lastSeenNs, T0, "within the interval nothing is written");
    await reg.flush();
    assert.equal((await store.getAgent("vm1"))?.highestSeq, 3n);
  });

  it("counts streams: a reconnect overlapping the old stream's close stays connected", async () => {
    const reg = new Registry(store);
    await reg.onHello(hello("vm1"), T0);
    await reg.onHello(hello("vm1"), T0 + S);
    await reg.onDisconnect("vm1", T0 + 2n * S);
    assert.equal((await reg.get("vm1"))?.connected, true);
    await reg.onDisconnect("vm1", T0 + 3n * S);
    const a = await reg.get("vm1");
    assert.equal(a?.connected, false);
    assert.equal(a?.firstSeenNs, T0);
    assert.equal(a?.lastSeenNs, T0 + 3n * S);
    assert.equal((await store.getAgent("vm1"))?.connected, false);
    await reg.onDisconnect("nobody", T0);
  });

  it("loads stored agents as disconnected after a restart", async () => {
    const before = new Registry(store);
    await before.onHello(hello("vm1"), T0);
    const after = new Registry(store);
    const list = await after.list();
    assert.deepEqual(list.map((a) => [a.agentId, a.hostname, a.connected]), [["vm1", "vm1", false]]);
  });

  it("keeps a stored identity when the first news after a restart is a batch", async () => {
    await new Registry(store).onHello(hello("vm1"), T0);
    const after = new Registry(store);
    after.onBatch("vm1", 9n, T0 + S);
    after.onBatch("push-only", 1n, T0 + S);
    await after.flush();
    const stored = await store.getAgent("vm1");
    assert.equal(stored?.hostname, "vm1");
    assert.equal(stored?.highestSeq, 9n);
    assert.equal(stored?.firstSeenNs, T0);
    assert.deepEqual((await after.list()).map((a) => [a.agentId, a.role]), [["push-only", "unspecified"], ["vm1", "guest"]]);
  });
});
