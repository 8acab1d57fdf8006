// The exit term of a run: guest agents linked to host-side VMs by machine UUID.
import assert from "node:assert/strict";
import { join } from "node:path";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { exitObservation } from "../../../collector/src/run/exits.ts";
import { runModel } from "../../../collector/src/run/run-model.ts";
import { PAPER_CONSTANTS } from "../../../collector/src/model/cost-model.ts";
import type { AgentRecord } from "../../../collector/src/store/types.ts";
import { tempDir } from "../../helpers/procs.ts";

const S = 1_000_000_000n;
const T0 = 1_800_000_000n * S;
const UUID = "5f1d2c3b-0000-4000-8000-00000000abcd";

function agent(agentId: string, role: AgentRecord["role"], machineUuid: string): AgentRecord {
  return { agentId, role, hostname: agentId, kernel: "k", machineUuid, netns: "", capabilities: [], agentVersion: "t", pid: 1, calibration: null, firstSeenNs: T0, lastSeenNs: T0, connected: true, highestSeq: 0n };
}

describe("run exits: guest agents linked to host VMs", () => {
  let dir: ReturnType<typeof tempDir>;
  let store: EmbeddedStore;
  beforeEach(async () => {
    dir = tempDir("exits");
    store = new EmbeddedStore(join(dir.path, "e.db"));
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it("counts the exits of the VM whose uuid a guest agent reports", async () => {
    await store.upsertAgent(agent("guest-a", "guest", UUID.toUpperCase()));
    await store.upsertAgent(agent("guest-b", "guest", "no-such-vm-uuid-0000000000000000000"));
    const tags = { agent_id: "hv1", host: "hv1", netns: "n", vm: "vm-a", vm_uuid: UUID };
    const points = [0n, 5n, 10n].map((s, i) => ({ measurement: "vm_kvm", tags, fields: { exits_total: 1000n + BigInt(i) * 20_000n }, timeNs: T0 + s * S }));
    assert.equal((await store.writeBatch({ agentId: "hv1", seq: 1n, points, receivedNs: T0 })).kind, "ok");
    const obs = await exitObservation(store, ["guest-a", "guest-b"], { fromNs: T0, toNs: T0 + 10n * S });
    assert.equal(obs.found?.exits, 40_000);
    assert.match(obs.found?.source ?? "", /vm-a on hv1/);
    assert.ok(obs.notes.some((n) => /no host agent reports KVM counters/.test(n)));
    // 40,000 exits over 655,360,000 payload bytes = 10,000 packets of 64 KiB -> 4 exits per packet, 2.0 us.
    const m = runModel({ receiverBitsPerS: 1e10, lengthBytes: 131_072, constants: PAPER_CONSTANTS, exits: { ...obs.found!, payloadBytes: 655_360_000 } }, () => undefined);
    const term = m.breakdown.terms.find((t) => t.term === "exits");
    assert.equal(term?.count, 4);
    assert.equal(term?.source, "observed");
    assert.ok(Math.abs((term?.total_us ?? 0) - 2.0) < 1e-9);
  });

  it("says why when no guest agent is in the run", async () => {
    await store.upsertAgent(agent("ns-a", "host", UUID));
    const obs = await exitObservation(store, ["ns-a"], { fromNs: T0, toNs: T0 + S });
    assert.equal(obs.found, undefined);
    assert.match(obs.notes[0] ?? "", /no guest agent/);
    const m = runModel({ receiverBitsPerS: 1e10, lengthBytes: 131_072, constants: PAPER_CONSTANTS }, () => undefined);
    const term = m.breakdown.terms.find((t) => t.term === "exits");
    assert.equal(term?.total_us, 0);
    assert.match(String((term as { reason?: string }).reason), /no exit source/);
  });
});
