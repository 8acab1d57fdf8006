// Scenario 6: the fuzzer (test/fuzz/fuzz.ts runFuzz: random bytes, mutated frames, wrong types, NaN/Infinity,
// invalid UTF-8, huge tags, seq edges, 12 MB hellos, over 4 gRPC streams) against a collector process for
// `fuzzSeconds`, while a real agent streams at 10 Hz beside the fuzzer's own well-behaved synthetic agent.
// Counted: the real agent from its spool, the synthetic one from the seqs it sent (1..sent); both against the
// ledger. Met when both are complete, /healthz never failed and the collector never went down.
import { compare, duplicatePoints, ledgerOf } from "./count.ts";
import { runFuzz } from "../fuzz/fuzz.ts";
import { finish, notesOf, nowNs, rowOf } from "./report.ts";
import { FaultStack } from "./stack.ts";
import { untilStored } from "./steps.ts";
import type { FaultOptions, FaultOutcome, Scenario } from "./types.ts";

const NAME = "fuzz";

async function run(o: FaultOptions): Promise<FaultOutcome> {
  const stack = new FaultStack(NAME);
  try {
    const collector = await stack.startCollector();
    const from = nowNs();
    const real = "fz-real";
    stack.startAgent(real);
    await untilStored(stack.api, real);
    o.log(`${NAME}: fuzzing for ${o.fuzzSeconds} s`);
    const report = await runFuzz({ target: `grpc://${stack.address}`, seconds: o.fuzzSeconds, http: stack.api.http, pid: collector.pid, goodAgentId: "fz-synthetic" });
    const problems = [...report.problems];
    const tallies = await finish(stack, [real], from, problems);
    const good = report.good;
    const synthetic = { ...compare(good.agentId, good.batchesSent, await ledgerOf(stack.api, good.agentId)), unacked: 0, ...(await dupOf(stack, good.agentId, from)) };
    tallies.push(synthetic);
    const answers = Object.entries(report.answers).sort((a, b) => b[1] - a[1]);
    const notes = [
      `${NAME}: ${report.framesSent.toLocaleString("en-US")} hostile frames in ${o.fuzzSeconds} s (seed ${report.seed}, replay with npm run fuzz -w @eastwest/test -- --seed ${report.seed}); ${answers.length} kinds of answer, most often: ${answers.slice(0, 4).map(([k, n]) => `${k} (${n})`).join("; ")}`,
      `${NAME}: rows count the real agent ${real} (its spool) and the fuzzer's synthetic agent ${good.agentId} (its ${good.batchesSent} seqs sent, ${good.reconnects} reconnects); /healthz answered ${report.healthz.ok} times, failed ${report.healthz.failed}`,
      ...notesOf(NAME, tallies, stack, problems),
    ];
    return { rows: [rowOf(NAME, tallies, stack, problems)], notes };
  } finally {
    await stack.close();
  }
}

async function dupOf(stack: FaultStack, id: string, from: bigint): Promise<{ duplicated: number; points: number }> {
  const d = await duplicatePoints(stack.api, "netdev", id, from);
  return { duplicated: d.duplicated, points: d.points };
}

export const fuzz: Scenario = { name: NAME, summary: "the fuzzer (runFuzz) against the collector for --fuzz-seconds while agents stream", run };
