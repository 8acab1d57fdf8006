// The fuzzer's command line (npm run fuzz -w @eastwest/test -- --seconds 600):
//   node fuzz/run.ts [--seconds N] [--target grpc://host:port --http http://host:port --pid PID] [--seed S]
//                    [--streams N] [--json]
// Without --target it starts a collector process of its own on loopback (and stops it after). Prints the report;
// exits 1 when the collector did not hold (the good agent's data incomplete, /healthz failing, the process gone).
import { parseArgs } from "node:util";
import { runFuzz, type FuzzReport } from "./fuzz.ts";
import { startCollector } from "./collector.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    target: { type: "string" },
    http: { type: "string" },
    pid: { type: "string" },
    seed: { type: "string" },
    streams: { type: "string" },
    json: { type: "boolean", default: false },
  },
});

function print(r: FuzzReport): void {
  if (values.json) return void process.stdout.write(JSON.stringify(r, null, 2) + "\n");
  const rows = (o: Record<string, number>) => Object.entries(o).sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${String(n).padStart(8)}  ${k}`).join("\n");
  process.stdout.write(`fuzzed ${r.target} for ${r.seconds} s (seed ${r.seed}): ${r.framesSent} frames\n`);
  process.stdout.write(`sent by kind:\n${rows(r.sentByKind)}\nanswers:\n${rows(r.answers)}\n`);
  const g = r.good;
  process.stdout.write(`good agent ${g.agentId}: ${g.batchesSent} batches sent, ${g.stored} stored, ${g.duplicate} duplicate, ${g.missing.length} missing, ${g.refused.length} refused, ${g.reconnects} reconnects\n`);
  process.stdout.write(`/healthz: ${r.healthz.ok} ok, ${r.healthz.failed} failed\n`);
  process.stdout.write(r.problems.length === 0 ? "the collector held\n" : `PROBLEMS:\n${r.problems.map((p) => `  ${p}`).join("\n")}\n`);
}

const own = values.target === undefined ? await startCollector() : undefined;
try {
  const report = await runFuzz({
    target: own?.grpc ?? (values.target as string),
    http: own?.http ?? values.http,
    pid: own?.proc.pid ?? (values.pid === undefined ? undefined : Number(values.pid)),
    seconds: Number(values.seconds),
    seed: values.seed === undefined ? undefined : Number(values.seed),
    streams: values.streams === undefined ? undefined : Number(values.streams),
  });
  print(report);
  process.exitCode = report.problems.length === 0 ? 0 : 1;
} finally {
  await own?.stop();
}
