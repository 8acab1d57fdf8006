// A diagnosis as text for the CLI: bottleneck and contributing findings one line each with the key figure,
// then "ruled out" and "cannot tell" compactly. Pure.
import { keyText } from "./engine.ts";
import type { Diagnosis, Finding } from "./types.ts";

function endText(f: Finding): string {
  return f.end === null || f.end === "both" ? "" : ` [${f.end}]`;
}

/** The finding's line, and its next experiment's when it has one. */
function lines(f: Finding): string[] {
  const key = f.key ? ` — ${keyText(f)}` : "";
  const out = [`  ${f.verdict.toUpperCase()} ${f.rule}${endText(f)}${key} (confidence ${f.confidence.toFixed(1)}): ${f.explanation}`];
  if (f.next) out.push(`      next: cell "${f.next.cell.name}" set ${JSON.stringify(f.next.cell.set)}${f.next.cell.apply_on ? ` on ${f.next.cell.apply_on}` : ""}: ${f.next.why}`);
  return out;
}

/** The findings section: lines, no trailing newline. */
export function formatDiagnosis(d: Diagnosis): string[] {
  const main = d.findings.filter((f) => f.verdict === "bottleneck" || f.verdict === "contributing");
  const ruled = d.findings.filter((f) => f.verdict === "ruled out");
  const unknown = d.findings.filter((f) => f.verdict === "cannot tell");
  const out = [`diagnosis (engine ${d.engine_version}; ${d.inputs}):`, `  ${d.summary}`];
  out.push(...(main.length === 0 ? ["  no bottleneck or contributing finding"] : main.flatMap(lines)));
  if (ruled.length > 0) out.push(`  ruled out: ${ruled.map((f) => `${f.rule}${f.key ? ` (${keyText(f)})` : ""}`).join(", ")}`);
  for (const f of unknown) out.push(`  cannot tell ${f.rule}: ${f.explanation}`);
  return out;
}
