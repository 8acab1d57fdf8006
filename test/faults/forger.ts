// An impostor on the Connect stream: says hello as another agent's id and, when welcomed, sends forged batches
// at the seqs given, each with one netdev point on interface FORGED_INTERFACE (so that a stored forgery shows in
// the store whatever its seq). Reports how the collector answered: a Welcome or the status the stream ended
// with, and the ack of each batch.
import { credentials, status, type ChannelCredentials } from "@grpc/grpc-js";
import { AckCode, TelemetryClient, type CollectorMessage, type Hello } from "@eastwest/proto";
import { netdevPoint } from "../fuzz/frames.ts";
import { delay } from "./steps.ts";

export const FORGED_INTERFACE = "forged0";

export interface ForgeryAnswer {
  welcome: boolean;
  /** How the stream ended when it did, e.g. "PERMISSION_DENIED: ..." */
  ended: string | undefined;
  /** Per forged seq: "STORED", "DUPLICATE", "INVALID: reason" or "no answer". */
  acks: string[];
}

function ackText(code: AckCode, reason: string): string {
  if (code === AckCode.ACK_CODE_STORED) return "STORED";
  if (code === AckCode.ACK_CODE_DUPLICATE) return "DUPLICATE";
  return code === AckCode.ACK_CODE_INVALID ? `INVALID: ${reason}` : `code ${code}`;
}

function hello(agentId: string): Hello {
  return { agentId, role: 1, hostname: "impostor", kernel: "", machineUuid: "", netns: "", capabilities: [], agentVersion: "", calibration: undefined, pid: process.pid, cpuModel: "", toolVersions: {}, sessionId: "", clock: undefined };
}

/** TLS client credentials: `files` absent presents no certificate. */
export function tlsCredentials(ca: Buffer, files?: { cert: Buffer; key: Buffer }): ChannelCredentials {
  return credentials.createSsl(ca, files?.key ?? null, files?.cert ?? null);
}

export async function forge(address: string, creds: ChannelCredentials, agentId: string, seqs: readonly bigint[], waitMs = 5000): Promise<ForgeryAnswer> {
  const client = new TelemetryClient(address, creds);
  const call = client.connect();
  const out: ForgeryAnswer = { welcome: false, ended: undefined, acks: [] };
  const acks = new Map<bigint, string>();
  call.on("data", (m: CollectorMessage) => {
    if (m.msg?.$case === "welcome") out.welcome = true;
    if (m.msg?.$case === "ack") acks.set(m.msg.value.seq, ackText(m.msg.value.code, m.msg.value.reason));
  });
  call.on("error", (e: Error & { code?: number; details?: string }) => (out.ended = `${status[e.code ?? -1] ?? e.code}: ${e.details ?? e.message}`));
  call.on("end", () => (out.ended ??= "ended"));
  call.write({ msg: { $case: "hello", value: hello(agentId) } });
  const settled = async (done: () => boolean) => {
    for (const until = Date.now() + waitMs; !done() && Date.now() < until; ) await delay(20);
  };
  await settled(() => out.welcome || out.ended !== undefined);
  if (out.ended === undefined) {
    const timeNs = BigInt(Date.now()) * 1_000_000n;
    for (const seq of seqs) call.write({ msg: { $case: "batch", value: { agentId, seq, points: [netdevPoint(agentId, FORGED_INTERFACE, seq, timeNs)], createdNs: timeNs } } });
    await settled(() => acks.size === seqs.length || out.ended !== undefined);
  }
  out.acks = seqs.map((s) => acks.get(s) ?? "no answer");
  call.cancel();
  client.close();
  return out;
}
