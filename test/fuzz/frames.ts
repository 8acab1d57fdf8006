// Frames for the fuzzer and the decoder agreement test: valid AgentMessage frames (batch, hello, result) and
// hostile ones, each built from a random source (mutate.ts) and named by its kind, so a report can say how many
// frames of each kind the collector refused and why.
import { AgentMessage, Batch, Role, type ClockExchange, type Hello, type Point } from "@eastwest/proto";
import { int, mutate, pick, type Rng } from "./mutate.ts";

export const SEQ_EDGES = [0n, 1n, (1n << 53n) + 1n, (1n << 62n), (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n] as const;
const NOW_NS = () => BigInt(Date.now()) * 1_000_000n;

/** A netdev point as an agent sends it. */
export function netdevPoint(agentId: string, iface: string, n: bigint, timeNs = NOW_NS()): Point {
  return {
    measurement: "netdev",
    tags: { agent_id: agentId, host: "fuzz-host", interface: iface, netns: "net:[4026531840]" },
    fields: { rx_bytes_total: { value: { $case: "u", value: n } }, rx_bytes_per_s: { value: { $case: "f", value: Number(n) / 3 } } },
    timeNs,
  };
}

export function batchFrame(b: Batch): Buffer {
  return Buffer.from(AgentMessage.encode({ msg: { $case: "batch", value: b } }).finish());
}

export function helloOf(agentId: string, hostname = "fuzz"): Hello {
  return { agentId, role: Role.ROLE_GUEST, hostname, kernel: "6", machineUuid: "", netns: "", capabilities: [], agentVersion: "fuzz", calibration: undefined, pid: 1, cpuModel: "", toolVersions: {}, sessionId: "", clock: undefined };
}

export function helloFrame(h: Hello): Buffer {
  return Buffer.from(AgentMessage.encode({ msg: { $case: "hello", value: h } }).finish());
}

/** A clock probe on the stream, reporting `last` (an exchange, honest or not). */
export function clockProbeFrame(sentNs: bigint, last: ClockExchange | undefined): Buffer {
  return Buffer.from(AgentMessage.encode({ msg: { $case: "clockProbe", value: { sentNs, last } } }).finish());
}

const I64 = [0n, 1n, -1n, (1n << 63n) - 1n, -(1n << 63n), 1n << 53n] as const;

/** A clock exchange with hostile stamps: negative delay, absurd offset, stamps missing, int64 edges, another collector's. */
export function hostileExchange(rng: Rng): ClockExchange {
  const now = NOW_NS();
  const s = () => pick(rng, [...I64, now, now - BigInt(int(rng, 1e12)), now + BigInt(int(rng, 1e12))]);
  return { t1Ns: s(), t2Ns: s(), t3Ns: s(), t4Ns: s(), collectorId: pick(rng, ["", "another-collector", "x".repeat(int(rng, 5000))]) };
}

/** A valid batch of 1 to 8 points for agentId. */
export function validBatch(rng: Rng, agentId: string, seq: bigint): Batch {
  const points = Array.from({ length: 1 + int(rng, 8) }, (_, i) => netdevPoint(agentId, `eth${i}`, BigInt(int(rng, 1e9))));
  return { agentId, seq, points, createdNs: NOW_NS() };
}

/** A valid frame of any message kind. */
export function validFrame(rng: Rng, agentId: string): Buffer {
  switch (int(rng, 4)) {
    case 0:
      return helloFrame(helloOf(agentId));
    case 3: {
      const t = NOW_NS();
      return clockProbeFrame(t, { t1Ns: t - 4_000_000n, t2Ns: t - 3_000_000n, t3Ns: t - 2_000_000n, t4Ns: t - 1_000_000n, collectorId: "" });
    }
    case 1:
      return Buffer.from(AgentMessage.encode({ msg: { $case: "result", value: { id: "c1", ok: true, error: "", json: "{}", startedNs: 1n, finishedNs: 2n } } }).finish());
    default:
      return batchFrame(validBatch(rng, agentId, BigInt(1 + int(rng, 1000))));
  }
}

const fv = (value: Point["fields"][string]["value"]): Point["fields"][string] => ({ value });

/** Hostile frames that are valid protobuf; `agentId` is the sender's (a fuzz agent, never the good one). */
export const HOSTILE: Record<string, (rng: Rng, agentId: string) => Buffer> = {
  random_bytes: (rng) => Buffer.from(Array.from({ length: int(rng, 300) }, () => int(rng, 256))),
  mutated: (rng, id) => mutate(validFrame(rng, id), rng, validFrame(rng, id)),
  wrong_types: (rng, id) => {
    const b = validBatch(rng, id, 1n);
    const p = b.points[0] as Point;
    p.fields["rx_bytes_total"] = pick(rng, [fv({ $case: "s", value: "x" }), fv({ $case: "b", value: true }), fv({ $case: "i", value: -5n }), fv(undefined)]);
    return batchFrame(b);
  },
  non_finite: (rng, id) => {
    const b = validBatch(rng, id, 1n);
    (b.points[0] as Point).fields["rx_bytes_per_s"] = fv({ $case: "f", value: pick(rng, [Number.NaN, Infinity, -Infinity]) });
    return batchFrame(b);
  },
  invalid_utf8: (rng, id) => {
    // "eth0" as a tag value, then its bytes overwritten with a lone continuation byte and an overlong encoding.
    const frame = batchFrame({ agentId: id, seq: 1n, points: [netdevPoint(id, "eth\u00e9", 1n)], createdNs: 1n });
    const at = frame.indexOf(Buffer.from("eth\u00e9"));
    frame.set(pick(rng, [[0x80, 0x80], [0xc0, 0xaf], [0xed, 0xa0]]), at + 3);
    return frame;
  },
  huge_tags: (rng, id) => {
    const p = netdevPoint(id, "x".repeat(int(rng, 2) === 0 ? 300 : 100_000), 1n);
    for (let i = 0; i < 40 + int(rng, 200); i++) p.tags[`t${i}`] = "v";
    return batchFrame({ agentId: id, seq: 1n, points: [p], createdNs: 1n });
  },
  many_fields: (rng, id) => {
    const p = netdevPoint(id, "eth0", 1n);
    for (let i = 0; i < 300 + int(rng, 2000); i++) p.fields[`f${i}`] = fv({ $case: "u", value: BigInt(i) });
    return batchFrame({ agentId: id, seq: 1n, points: [p], createdNs: 1n });
  },
  many_series: (rng, id) => batchFrame({ agentId: id, seq: 1n, points: Array.from({ length: 2000 + int(rng, 3000) }, (_, i) => netdevPoint(id, `if${i}_${int(rng, 1e9)}`, 1n)), createdNs: 1n }),
  seq_edges: (rng, id) => batchFrame(validBatch(rng, id, pick(rng, SEQ_EDGES))),
  huge_tag_number: (rng, id) => Buffer.concat([batchFrame(validBatch(rng, id, 1n)), Buffer.from([0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01])]),
  wrong_agent: (rng) => batchFrame(validBatch(rng, "somebody-else", 1n)),
  hello_12mb: (rng, id) => helloFrame(helloOf(id, "h".repeat(12 * 1024 * 1024 + int(rng, 1000)))),
  batch_before_hello: (rng, id) => batchFrame(validBatch(rng, id, 1n)),
  clock_hostile: (rng) => clockProbeFrame(pick(rng, I64), int(rng, 8) === 0 ? undefined : hostileExchange(rng)),
};

export type HostileKind = keyof typeof HOSTILE;
