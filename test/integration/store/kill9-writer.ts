// Child process for the kill -9 test: writes batches to the store at argv[2]
// forever, printing each seq on stdout once writeBatch resolved "ok".
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";

const store = new EmbeddedStore(process.argv[2] as string);
await store.open();
for (let seq = 1n; ; seq++) {
  const points = Array.from({ length: 50 }, (_, i) => ({
    measurement: "eastwest_agent",
    tags: { agent_id: "k9" },
    fields: { buffered_points: seq * 1000n + BigInt(i) },
    timeNs: seq * 1_000_000_000n + BigInt(i),
  }));
  const out = await store.writeBatch({ agentId: "k9", seq, points, receivedNs: seq });
  if (out.kind !== "ok") throw new Error(`seq ${seq}: ${JSON.stringify(out)}`);
  process.stdout.write(`${seq}\n`);
}
