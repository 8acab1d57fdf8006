// Prometheus's own tools on an exposition: `promtool check metrics` (the text format's parser and linter) and its
// OpenMetrics parser through `promtool tsdb create-blocks-from openmetrics` (which needs a timestamp on every
// sample: one is added).
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export function promtoolCheck(promtool: string, text: string): { status: number | null; output: string } {
  const r = spawnSync(promtool, ["check", "metrics"], { input: text, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Parses OpenMetrics with Prometheus's parser by backfilling it into a block; the sample count it reports. */
export function promtoolOpenMetrics(promtool: string, text: string, dir: string): { status: number | null; output: string } {
  const stamped = text.replace(/^([^#\n][^\n]*)$/gm, "$1 1700000000");
  const file = join(dir, `om-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(file, stamped);
  const r = spawnSync(promtool, ["tsdb", "create-blocks-from", "openmetrics", file, join(dir, "blocks")], { encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
