// Validation of a requested run (HTTP body or CLI flags) into a RunSpec.
// Every problem is reported at once; nothing runs until the spec is valid.
import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import { z } from "zod";
import { ConfigError } from "@eastwest/common";
import type { RunSpec } from "./types.ts";

const AGENT = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;

const endpoint = z.object({ agentId: z.string().regex(AGENT, "not a valid agent id"), interface: z.string().regex(IFNAME, "not a valid interface name").or(z.literal("")).default("") }).strict();

export const runRequestSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
    server: endpoint,
    client: endpoint,
    serverAddress: z.string().refine((s) => isIP(s) !== 0, "must be an IP address"),
    port: z.number().int().min(1).max(65535).default(5201),
    durationS: z.number().int().min(1).max(3600).default(10),
    streams: z.number().int().min(1).max(128).default(1),
    lengthBytes: z.number().int().min(0).max(16 * 1024 * 1024).default(0),
    congestion: z.string().regex(/^[a-z0-9_]{0,16}$/, "congestion control: lowercase name").default(""),
    reverse: z.boolean().default(false),
    sampleIntervalMs: z.number().int().min(50).max(10_000).default(200),
    live: z.boolean().default(false),
    profile: z.boolean().default(true),
  })
  .strict()
  .refine((r) => r.server.agentId !== r.client.agentId || r.server.agentId.length > 0, { message: "server and client agents are required" });

export function parseRunRequest(body: unknown): RunSpec {
  const r = runRequestSchema.safeParse(body);
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`));
  return { ...r.data, id: r.data.id ?? randomUUID() };
}

const holdRequestSchema = z.object({ for_ms: z.number().int().min(0).max(3_600_000) }).strict();

/** A hold request ({"for_ms": N}; 0 ends a hold) into its milliseconds; every problem at once. */
export function parseHoldRequest(body: unknown): { forMs: number } {
  const r = holdRequestSchema.safeParse(body);
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`));
  return { forMs: r.data.for_ms };
}
