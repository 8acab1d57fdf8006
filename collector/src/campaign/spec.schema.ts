// The zod schema of a campaign spec file (YAML or JSON). Field-level rules only; rules across fields (cell
// ids, the cell cap, interfaces that settings need) are in spec.ts.
import { z } from "zod";
import { runRequestSchema } from "../run/spec.ts";
import { QDISCS } from "./types.ts";

/** Congestion controls accepted when the agents' kernels were not asked (the mainline modules). */
export const KNOWN_CONGESTION = ["cubic", "reno", "bic", "vegas", "cdg", "bbr", "westwood", "htcp", "highspeed", "illinois", "scalable", "veno", "yeah", "lp", "hybla", "dctcp", "nv"] as const;

export const MAX_CELLS_LIMIT = 1000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** No '.' in pair names: "<pair>.<cell id>" must stay unambiguous. */
const PAIR = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const CELL_ID = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const MAX_AXIS_VALUES = 64;

const onOff = z.preprocess((v) => (v === true ? "on" : v === false ? "off" : v), z.enum(["on", "off"]));

function congestionSchema(available: readonly string[] | undefined) {
  const allowed = available ?? KNOWN_CONGESTION;
  const where = available ? "the agents' kernels offer" : "known";
  return z.string().superRefine((s, ctx) => {
    // why: TCP_CA_NAME_MAX is 16 bytes including the NUL, so a name has at most 15 characters.
    if (!/^[a-z0-9_]{1,15}$/.test(s)) ctx.addIssue({ code: "custom", message: "congestion control: a lowercase name of 1..15 characters" });
    else if (!allowed.includes(s)) ctx.addIssue({ code: "custom", message: `unknown congestion control ${JSON.stringify(s)}; ${where}: ${allowed.join(", ")}` });
  });
}

function axisSchemas(available: readonly string[] | undefined) {
  return {
    tx_checksum: onOff,
    tso: onOff,
    gso: onOff,
    gro: onOff,
    tx_nocache_copy: onOff,
    congestion: congestionSchema(available),
    qdisc: z.enum(QDISCS),
    mtu: z.number().int().min(68).max(65535),
    streams: z.number().int().min(1).max(128),
    length_bytes: z.number().int().min(0).max(16 * 1024 * 1024),
    direction: z.enum(["forward", "reverse", "bidir"]),
  };
}

/** A list of distinct values of one axis. */
function axisList<T extends z.ZodType>(value: T) {
  return z
    .array(value)
    .min(1)
    .max(MAX_AXIS_VALUES)
    .superRefine((xs, ctx) => {
      xs.forEach((x, i) => {
        if (x !== undefined && xs.indexOf(x) !== i) ctx.addIssue({ code: "custom", path: [i], message: `duplicate value ${JSON.stringify(x)}` });
      });
    });
}

function matrixSchema(axes: ReturnType<typeof axisSchemas>) {
  return z
    .object({
      tx_checksum: axisList(axes.tx_checksum).optional(),
      tso: axisList(axes.tso).optional(),
      gso: axisList(axes.gso).optional(),
      gro: axisList(axes.gro).optional(),
      tx_nocache_copy: axisList(axes.tx_nocache_copy).optional(),
      congestion: axisList(axes.congestion).optional(),
      qdisc: axisList(axes.qdisc).optional(),
      mtu: axisList(axes.mtu).optional(),
      streams: axisList(axes.streams).optional(),
      length_bytes: axisList(axes.length_bytes).optional(),
      direction: axisList(axes.direction).optional(),
    })
    .strict();
}

const applyOn = z.enum(["both", "server", "client"]);
const hostState = (axis: string) => z.never({ error: `the baseline is each host's current state; vary ${axis} in matrix or cells` }).optional();

const baselineSchema = z
  .object({
    name: z.string().min(1).max(80).default("baseline"),
    streams: z.number().int().min(1).max(128).default(1),
    length_bytes: z.number().int().min(0).max(16 * 1024 * 1024).default(0),
    direction: z.enum(["forward", "reverse", "bidir"]).default("forward"),
    tx_checksum: hostState("tx_checksum"),
    tso: hostState("tso"),
    gso: hostState("gso"),
    gro: hostState("gro"),
    tx_nocache_copy: hostState("tx_nocache_copy"),
    congestion: hostState("congestion"),
    qdisc: hostState("qdisc"),
    mtu: hostState("mtu"),
  })
  .strict()
  .transform(({ name, streams, length_bytes, direction }) => ({ name, streams, length_bytes, direction }));

const pairSchema = z
  .object({
    name: z.string().regex(PAIR, "a name of letters, digits, '_', '-'").optional(),
    server: runRequestSchema.shape.server,
    client: runRequestSchema.shape.client,
    serverAddress: runRequestSchema.shape.serverAddress,
    port: runRequestSchema.shape.port,
  })
  .strict()
  .transform(({ name, ...p }) => ({ name: name ?? `${p.server.agentId}-${p.client.agentId}`.replace(/[^A-Za-z0-9_-]/g, "-"), ...p }));

const repetitionsSchema = z
  .object({
    min: z.number().int().min(1).max(1000).default(3),
    max: z.number().int().min(1).max(1000).default(10),
    ci_target_pct: z.number().gt(0).max(100).default(5),
    confidence: z.number().min(0.5).lt(1).default(0.95),
  })
  .strict();

/** The schema of a spec file; congestion names are checked against `available` when given. */
export function campaignSchema(available?: readonly string[]) {
  const axes = axisSchemas(available);
  const knobs = z.object(Object.fromEntries(Object.entries(axes).map(([k, s]) => [k, s.optional()])) as { [K in keyof typeof axes]: z.ZodOptional<(typeof axes)[K]> }).strict();
  const cell = z
    .object({
      id: z.string().regex(CELL_ID, "a lowercase id of letters, digits, '.', '_', '-'").optional(),
      name: z.string().min(1).max(80),
      set: knobs.prefault({}),
      apply_on: applyOn.optional(),
    })
    .strict();
  return z
    .object({
      name: z.string().regex(NAME, "a name of letters, digits, '.', '_', '-' (at most 64)"),
      description: z.string().max(2000).default(""),
      endpoints: z.array(pairSchema).min(1).max(16),
      baseline: baselineSchema.prefault({}),
      mode: z.enum(["one_at_a_time", "cartesian"]).default("one_at_a_time"),
      matrix: matrixSchema(axes).prefault({}),
      cells: z.array(cell).max(MAX_CELLS_LIMIT).default([]),
      apply_on: applyOn.default("both"),
      duration_s: z.number().int().min(1).max(3600).default(10),
      sample_interval_ms: z.number().int().min(50).max(10_000).default(200),
      profile: z.boolean().default(true),
      repetitions: repetitionsSchema.prefault({}),
      max_cells: z.number().int().min(1).max(MAX_CELLS_LIMIT).default(200),
    })
    .strict();
}
