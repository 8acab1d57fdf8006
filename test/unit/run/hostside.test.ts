// The host side of a run: PMU and memory-bandwidth figures from host agents'
// samples in the window, exit reasons per packet, and the reasons when absent.
import assert from "node:assert/strict";
import { join } from "node:path";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { exitReasonRows, hostSide } from "../../../collector/src/run/hostside.ts";
import type { AgentRecord } from "../../../collector/src/store/types.ts";
import type { Sample } from "@eastwest/common";
import { tempDir } from "../../helpers/procs.ts";

const S = 1_000_000_000n;
const T0 = 1_800_000_000n * S;
const BASE = { agent_id: "hv", host: "hv", netns: "n" };

function hostAgent(caps: AgentRecord["capabilities"]): AgentRecord {
  return { agentId: "hv", role: "host", hostname: "hv", kernel: "k", machineUuid: "", netns: "", capabilities: caps, agentVersion: "t", pid: 1, calibration: null, firstSeenNs: T0, lastSeenNs: T0, connected: true, highestSeq: 0n };
}

describe("run host side", () => {
  let dir: ReturnType<typeof tempDir>;
  let store: EmbeddedStore;
  beforeEach(async () => {
    dir = tempDir("hostside");
    store = new EmbeddedStore(join(dir.path, "h.db"));
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it("sums the PMU and memory-bandwidth intervals inside the window", async () => {
    await store.upsertAgent(hostAgent([]));
    const points: Sample[] = [1n, 2n, 3n, 9n].flatMap((s): Sample[] => [
      { measurement: "pmu", tags: { ...BASE, scope: "host", vm: "" }, fields: { cycles_count: 1_000_000n, instructions_count: 2_500_000n }, timeNs: T0 + s * S },
      { measurement: "membw", tags: { ...BASE, source: "imc", group: "" }, fields: { read_bytes: 3_000_000n, write_bytes: 1_000_000n }, timeNs: T0 + s * S },
    ]);
    assert.equal((await store.writeBatch({ agentId: "hv", seq: 1n, points, receivedNs: T0 })).kind, "ok");
    // window (T0, T0+3s]: three intervals; the one at 9 s is outside
    const h = await hostSide(store, ["hv"], { fromNs: T0, toNs: T0 + 3n * S }, 6_000_000);
    assert.deepEqual(h.pmu, { cycles: 3_000_000, instructions: 7_500_000, ipc: 2.5, cyclesPerByte: 0.5 });
    assert.equal(h.membw?.bytes, 12_000_000);
    assert.equal(h.membw?.perPayloadByte, 2);
    assert.equal(h.membw?.source, "imc");
  });

  it("explains missing figures with the agent's capability reasons", async () => {
    await store.upsertAgent(hostAgent([{ sampler: "pmu", available: false, reason: "unavailable: no hardware PMU", intervalMs: 1000 }, { sampler: "membw", available: false, reason: "unavailable: no resctrl", intervalMs: 1000 }]));
    const h = await hostSide(store, ["hv"], { fromNs: T0, toNs: T0 + S }, 1000);
    assert.equal(h.pmu, null);
    assert.equal(h.membw, null);
    assert.deepEqual(h.notes, ["pmu: hv: unavailable: no hardware PMU", "membw: hv: unavailable: no resctrl"]);
    const none = await hostSide(store, [], { fromNs: T0, toNs: T0 + S }, 1000);
    assert.match(none.notes[0] ?? "", /no host agent observed this run/);
  });

  it("turns exit-reason tables into exits per 64 KiB packet", () => {
    const notes: string[] = [];
    const rows = exitReasonRows(
      [
        { agentId: "hv", doc: { available: true, total: 3000, reasons: [{ reason: "EPT_MISCONFIG", count: 1000 }, { reason: "HLT", count: 2000 }] } },
        { agentId: "hv2", doc: { available: false, reason: "unavailable: perf not found" } },
      ],
      65_536_000,
      65_536,
      notes,
    );
    assert.deepEqual(rows.map((r) => [r.reason, r.perPacket]), [["HLT", 2], ["EPT_MISCONFIG", 1]]);
    assert.deepEqual(notes, ["exit reasons: hv2: unavailable: perf not found"]);
  });
});
