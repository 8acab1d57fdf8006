// From counts to the table: ending a scenario the same way every time (let the agents catch up, stop them,
// count), one row per group of agents, notes that say what a row's figures rest on.
import { fmt, renderColumns, type Column } from "../bench/table.ts";
import { caughtUp, tally, type Tally } from "./count.ts";
import type { FaultStack } from "./stack.ts";
import type { FaultRow } from "./types.ts";

export const TARGET = "0 missing, 0 dup, up";

const COLUMNS: ReadonlyArray<Column<FaultRow>> = [
  { key: "scenario", header: "scenario" },
  { key: "made", header: "made", right: true },
  { key: "stored", header: "stored", right: true },
  { key: "missing", header: "missing", right: true },
  { key: "duplicated", header: "duplicated", right: true },
  { key: "up", header: "all up" },
  { key: "target", header: "target" },
  { key: "result", header: "result" },
];

export function renderFaultTable(rows: readonly FaultRow[]): string {
  return renderColumns(COLUMNS, rows);
}

/** A row standing for a scenario that could not run. */
export function failedRow(scenario: string, why: string): FaultRow {
  return { scenario, made: "", stored: "", missing: "", duplicated: "", up: "", target: TARGET, result: `failed: ${why}` };
}

/**
 * The row of `tallies`: met when nothing is missing or duplicated, no process went down unasked, the ledger holds
 * nothing the agents did not number, and the scenario's own checks (`problems`) found nothing.
 */
export function rowOf(scenario: string, tallies: readonly Tally[], stack: FaultStack, problems: readonly string[], target = TARGET): FaultRow {
  const sum = (k: "made" | "stored" | "missing" | "duplicated" | "beyond") => tallies.reduce((n, t) => n + t[k], 0);
  const met = sum("missing") === 0 && sum("duplicated") === 0 && sum("beyond") === 0 && stack.watch.unplanned.length === 0 && problems.length === 0 && sum("made") > 0;
  return {
    scenario,
    made: fmt(sum("made"), 0),
    stored: fmt(sum("stored"), 0),
    missing: fmt(sum("missing"), 0),
    duplicated: fmt(sum("duplicated"), 0),
    up: stack.watch.cell(),
    target,
    result: met ? "ok" : "MISS",
  };
}

/** What a reader needs beside the row: per agent figures where something is off, exits, the scenario's problems. */
export function notesOf(scenario: string, tallies: readonly Tally[], stack: FaultStack, problems: readonly string[]): string[] {
  const notes: string[] = [];
  const points = tallies.reduce((n, t) => n + t.points, 0);
  notes.push(`${scenario}: the duplicate count looked at ${fmt(points, 0)} cpu and netdev points of ${tallies.length} agent(s)`);
  for (const t of tallies) {
    if (t.missing > 0) notes.push(`${scenario}: agent ${t.id}: ${t.missing} of ${t.made} batches missing (seqs ${t.missingSeqs.join(", ")})`);
    if (t.beyond > 0) notes.push(`${scenario}: agent ${t.id}: the ledger holds ${t.beyond} seqs above the ${t.made} it numbered`);
    if (t.unacked > 0) notes.push(`${scenario}: agent ${t.id}: ${t.unacked} batches still unacked in its spool at the end`);
    if (t.made === 0) notes.push(`${scenario}: agent ${t.id}: numbered no batch`);
  }
  for (const u of stack.watch.unplanned) notes.push(`${scenario}: ${u}`);
  for (const p of problems) notes.push(`${scenario}: ${p}`);
  return notes;
}

/**
 * Ends a scenario: waits until the ledger caught up with each agent (`catchUpMs`), stops the agents (SIGTERM: they
 * drain and exit 0), counts each. An agent that does not exit 0 is a problem; one that cannot catch up is counted
 * as it is (its missing batches show).
 */
export async function finish(stack: FaultStack, ids: readonly string[], fromNs: bigint, problems: string[], catchUpMs = 30_000): Promise<Tally[]> {
  for (const id of ids) {
    try {
      await caughtUp(stack.api, stack.spoolDir, id, catchUpMs);
    } catch (err) {
      problems.push(`agent ${id} did not catch up: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const codes = await Promise.all(ids.map((id) => stack.stopAgent(id, "SIGTERM")));
  codes.forEach((code, i) => code !== 0 && problems.push(`agent ${ids[i]} exited ${code} on SIGTERM: ${stack.agents.get(ids[i] as string)?.stderr().trim().split("\n").at(-1) ?? ""}`));
  const out: Tally[] = [];
  for (const id of ids) out.push(await tally(stack.api, stack.spoolDir, id, fromNs));
  return out;
}

export const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
