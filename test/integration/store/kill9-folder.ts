// Child process for the fold's kill -9 test: writes bare batches of agent "k9f" (every seq but multiples of 7) in
// groups of 10, printing the group's highest seq once it resolved "ok", and folds all but the newest rows after
// each group, forever.
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";

const store = new EmbeddedStore(process.argv[2] as string);
await store.open();
for (let seq = 1n; ; ) {
  const group = [];
  for (; group.length < 10; seq++) if (seq % 7n !== 0n) group.push({ agentId: "k9f", seq, receivedNs: seq, points: [] });
  for (const out of await store.writeBatches(group)) if (out.kind !== "ok") throw new Error(`seq ${seq}: ${JSON.stringify(out)}`);
  process.stdout.write(`${seq - 1n}\n`);
  await store.ledger.fold(seq - 5n);
}
