// The recorded runs of test/fixtures/diagnosis (scripts/record-diagnosis-fixtures.ts): the run record as stored
// and the samples the rules read, parsed as the store parses them (64-bit integers exact).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../../helpers/imports.ts";
import { parseExact } from "../../../collector/src/store/json.ts";
import type { RunSamples } from "../../../collector/src/diagnosis/samples.ts";
import type { DiagnosedRun, Finding, Diagnosis } from "../../../collector/src/diagnosis/types.ts";

export interface DiagnosisFixture {
  scenario: string;
  what: string;
  command: string;
  record: DiagnosedRun & { spec: { server: { agentId: string }; client: { agentId: string } }; window: { fromNs: bigint; toNs: bigint } };
  samples: RunSamples;
}

export const SCENARIOS = ["default", "checksum-off", "gro-gso-off", "tx-nocache-copy", "starved-receiver", "tbf-200mbit"] as const;

export function loadFixture(name: (typeof SCENARIOS)[number]): DiagnosisFixture {
  return parseExact(readFileSync(join(REPO, "test/fixtures/diagnosis", `${name}.json`), "utf8")) as DiagnosisFixture;
}

/** The finding of a rule; fails loudly when the diagnosis has none. */
export function findingOf(d: Diagnosis, rule: string): Finding {
  const f = d.findings.find((x) => x.rule === rule);
  if (!f) throw new Error(`no finding of rule ${rule}: ${d.findings.map((x) => x.rule).join(", ")}`);
  return f;
}

/** The profiled recordings (test/fixtures/diagnosis/profiled: the same lab, the run's CPU profile in the record). */
export const PROFILED = ["default", "checksum-off", "gro-gso-off", "tx-nocache-copy"] as const;

export function loadProfiled(name: (typeof PROFILED)[number]): DiagnosisFixture {
  return parseExact(readFileSync(join(REPO, "test/fixtures/diagnosis/profiled", `${name}.json`), "utf8")) as DiagnosisFixture;
}

/** Runs between the VM lab's TCG guests (test/fixtures/diagnosis/tcg: a lab campaign's runs, with their profiles). */
export const TCG = ["default", "checksum-off", "gro-gso-off", "tx-nocache-copy"] as const;

export function loadTcg(name: (typeof TCG)[number]): DiagnosisFixture {
  return parseExact(readFileSync(join(REPO, "test/fixtures/diagnosis/tcg", `${name}.json`), "utf8")) as DiagnosisFixture;
}
