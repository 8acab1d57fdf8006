// Scenario 7: an impostor agent. With mutual TLS (certificates from `eastwest certs` code, test/helpers/certs.ts),
// a client with its own valid certificate for another id, and one with no certificate, say hello as the real
// agent's id and try forged batches: both refused, nothing of theirs stored. Without TLS on loopback (where no
// identity can be checked) a forger's batches far ahead of the real agent's seqs are refused (seq-ahead). In both,
// the real agent's data is complete. One row each.
import { readFileSync } from "node:fs";
import { credentials } from "@grpc/grpc-js";
import { makeCerts } from "../helpers/certs.ts";
import { ledgerOf, type Api } from "./count.ts";
import { forge, FORGED_INTERFACE, tlsCredentials, type ForgeryAnswer } from "./forger.ts";
import { finish, notesOf, nowNs, rowOf } from "./report.ts";
import { FaultStack } from "./stack.ts";
import { delay, untilStored } from "./steps.ts";
import type { FaultOptions, FaultOutcome, FaultRow, Scenario } from "./types.ts";

const NAME = "impostor";
const MAX_SEQ_AHEAD = 100_000n; // the collector's default limits.maxSeqAhead

/** Points of agent `id` on the forged interface (any count above 0 is a forgery stored). */
async function forgedPoints(api: Api, id: string, from: bigint): Promise<number> {
  const res = await fetch(`${api.http}/api/v1/series?measurement=netdev&from=${from}&to=now&tag.agent_id=${id}&tag.interface=${FORGED_INTERFACE}`);
  const body = (await res.json()) as { series?: Array<{ values: unknown[] }> };
  if (!res.ok) throw new Error(`forged points query: HTTP ${res.status}`);
  return (body.series ?? []).reduce((n, s) => n + s.values.length, 0);
}

const brief = (a: ForgeryAnswer) => (a.welcome ? `welcomed; acks ${a.acks.map((x) => x.slice(0, 60)).join(", ")}` : `refused: ${a.ended?.slice(0, 120) ?? "no answer"}`);

interface Attempt {
  what: string;
  answer: ForgeryAnswer;
  /** Whether the answer is the refusal wanted. */
  refused: boolean;
}

async function withMtls(seconds: number): Promise<{ row: FaultRow; notes: string[] }> {
  const stack = new FaultStack(`${NAME}-mtls`);
  try {
    const pki = await makeCerts(stack.dir, []);
    await stack.startCollector({ args: pki.collectorArgs });
    const from = nowNs();
    const id = "im-real";
    stack.startAgent(id, { args: await pki.agentArgs(id) });
    const highest = BigInt(await untilStored(stack.api, id));
    const ca = readFileSync(pki.ca);
    const own = (await pki.agentArgs("im-other")).filter((_, i, a) => a[i - 1] === "--tls-cert" || a[i - 1] === "--tls-key");
    const other = { cert: readFileSync(own[0] as string), key: readFileSync(own[1] as string) };
    const seqs = [highest + 1n, highest + 2n, highest + MAX_SEQ_AHEAD + 10n];
    const attempts: Attempt[] = [];
    for (const [what, creds] of [["its own valid certificate for im-other", tlsCredentials(ca, other)], ["no certificate", tlsCredentials(ca)]] as const) {
      const answer = await forge(stack.address, creds, id, seqs);
      attempts.push({ what, answer, refused: !answer.welcome && answer.acks.every((a) => a === "no answer") });
    }
    return await close(stack, id, from, seconds, attempts, "mTLS");
  } finally {
    await stack.close();
  }
}

async function plaintext(seconds: number): Promise<{ row: FaultRow; notes: string[] }> {
  const stack = new FaultStack(`${NAME}-plain`);
  try {
    await stack.startCollector();
    const from = nowNs();
    const id = "ip-real";
    stack.startAgent(id);
    const highest = BigInt(await untilStored(stack.api, id));
    const seqs = [highest + MAX_SEQ_AHEAD + 10n, 2n ** 62n, 2n ** 63n - 1n];
    const answer = await forge(stack.address, credentials.createInsecure(), id, seqs);
    const attempts = [{ what: "a forged hello and batches far ahead", answer, refused: answer.acks.every((a) => /^INVALID: refused \(seq-ahead\)/.test(a)) }];
    return await close(stack, id, from, seconds, attempts, "plaintext loopback");
  } finally {
    await stack.close();
  }
}

/** Lets the real agent stream on, then counts it and checks that nothing forged was stored. */
async function close(stack: FaultStack, id: string, from: bigint, seconds: number, attempts: Attempt[], mode: string): Promise<{ row: FaultRow; notes: string[] }> {
  const after = (await ledgerOf(stack.api, id)).highestSeq;
  await delay(seconds * 1000);
  await untilStored(stack.api, id, after);
  const forged = await forgedPoints(stack.api, id, from);
  const problems: string[] = [];
  const tallies = await finish(stack, [id], from, problems);
  if (forged > 0) problems.push(`${forged} forged points stored under ${id}`);
  for (const a of attempts) if (!a.refused) problems.push(`${a.what}: not refused as it should be: ${brief(a.answer)}`);
  const scenario = `${NAME} (${mode})`;
  const notes = [
    ...attempts.map((a) => `${scenario}: ${a.what}, hello as ${id}: ${brief(a.answer)}`),
    `${scenario}: forged points stored under ${id}: ${forged}`,
    ...notesOf(scenario, tallies, stack, problems),
  ];
  return { row: rowOf(scenario, tallies, stack, problems), notes };
}

async function run(o: FaultOptions): Promise<FaultOutcome> {
  const a = await withMtls(o.seconds / 2);
  const b = await plaintext(o.seconds / 2);
  return {
    rows: [a.row, b.row],
    notes: [
      ...a.notes,
      ...b.notes,
      `${NAME} (plaintext loopback): without TLS the collector cannot tell a forger from the agent (its hello takes over the session; the real agent reconnects); only the seq guard applies there: identity needs mTLS`,
    ],
  };
}

export const impostor: Scenario = { name: NAME, summary: "another agent's id: with mTLS (other cert, no cert) refused; plaintext far-ahead seqs refused", run };
