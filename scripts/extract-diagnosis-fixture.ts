// `node scripts/extract-diagnosis-fixture.ts --data FILE --run ID --scenario NAME --what TEXT --out DIR`: writes a
// diagnosis fixture (DIR/NAME.json: { scenario, what, command, record, samples }, as record-diagnosis-fixtures.ts
// does) from a run stored in an embedded store file, e.g. a run of a VM lab campaign (`eastwest lab vm campaign
// SPEC --data FILE`). The record is the stored one; the samples are what the diagnosis reads for its window.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { EmbeddedStore } from "../collector/src/index.ts";
import { loadRunSamples } from "../collector/src/diagnosis/load.ts";
import { stringifyExact } from "../collector/src/store/json.ts";
import type { SampledRun } from "../collector/src/diagnosis/load.ts";

const { values } = parseArgs({ options: { data: { type: "string" }, run: { type: "string" }, scenario: { type: "string" }, what: { type: "string" }, out: { type: "string" }, command: { type: "string" } } });
const missing = (["data", "run", "scenario", "what", "out"] as const).filter((k) => !values[k]);
if (missing.length > 0) {
  process.stderr.write(`missing: ${missing.map((k) => `--${k}`).join(", ")}\n`);
  process.exit(64);
}
const store = new EmbeddedStore(values.data as string);
await store.open();
try {
  const found = await store.getRecord("run", values.run as string);
  if (!found) throw new Error(`no run ${values.run} in ${values.data}`);
  const record = found.doc as SampledRun;
  const samples = await loadRunSamples(store, record);
  const command = values.command ?? `node scripts/extract-diagnosis-fixture.ts --run ${values.run} --scenario ${values.scenario}`;
  writeFileSync(join(values.out as string, `${values.scenario}.json`), stringifyExact({ scenario: values.scenario, what: values.what, command, record, samples }, 1) + "\n");
  process.stderr.write(`${values.scenario}: run ${values.run} -> ${join(values.out as string, `${values.scenario}.json`)}\n`);
} finally {
  await store.close();
}
