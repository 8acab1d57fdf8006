// The agent's transport registry (agent/src/transport/index.ts) and the lifecycle every transport keeps
// (agent/src/transport/types.ts): one factory per collector.transport value; a transport made but never started
// is not connected, pumps nothing, drains at once when nothing is buffered, and closes cleanly, twice.
import assert from "node:assert/strict";
import { silentLogger } from "@eastwest/common";
import { agentConfigSchema, loadAgentConfig } from "../../../agent/src/config.ts";
import { Outbox } from "../../../agent/src/runtime/outbox.ts";
import { createTransport, TRANSPORTS } from "../../../agent/src/transport/index.ts";
import type { TransportDeps } from "../../../agent/src/transport/types.ts";

function deps(): TransportDeps {
  return {
    outbox: new Outbox(10),
    hello: () => ({ agentId: "a1", role: 1, hostname: "h", kernel: "", machineUuid: "", netns: "", capabilities: [], agentVersion: "", calibration: undefined, pid: 1, cpuModel: "", toolVersions: {}, sessionId: "", clock: undefined }),
    logger: silentLogger(),
    onCommand: () => Promise.reject(new Error("no commands here")),
  };
}

describe("agent transports", () => {
  it("the registry has one factory per collector.transport value", () => {
    const names = agentConfigSchema.shape.collector.shape.transport.options;
    assert.deepEqual(Object.keys(TRANSPORTS).sort(), [...names].sort());
  });

  for (const transport of ["grpc", "nats"] as const) {
    it(`${transport}: made from the config; never started it is not connected, pumps nothing and closes twice`, async () => {
      const config = loadAgentConfig({ env: {}, flags: { id: "a1", collector: { transport, address: "127.0.0.1:1" } } });
      const d = deps();
      const t = await createTransport(config, d);
      assert.equal(t.connected, false);
      d.outbox.add([{ measurement: "m", tags: {}, fields: { f: 1n }, timeNs: 1n }], 1n);
      t.pump();
      assert.equal(d.outbox.inFlightCount(), 0, "nothing taken before a Welcome");
      assert.equal(await t.drain(10), false, "a buffered batch is not drained");
      await t.close();
      await t.close();
      assert.equal(t.connected, false);
    });
  }
});
