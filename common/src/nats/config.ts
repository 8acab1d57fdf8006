// Schema pieces for the NATS settings of agents and collectors.
import { z } from "zod";

const SERVER = /^(?:(?:nats|tls):\/\/)?[^\s/,]+:\d{1,5}$/;

/** "nats://h:4222,h2:4222" or ["nats://h:4222", ...] -> a non-empty list. */
export const natsServers = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter((s) => s !== ""))
  .pipe(z.array(z.string().regex(SERVER, "expected [nats://]host:port")).min(1, "at least one NATS server"));

/** Dot-separated tokens of letters, digits, "_" and "-". */
export const subjectPrefix = z.string().regex(/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/, "expected tokens of [A-Za-z0-9_-] joined by dots");

/** JetStream stream and consumer names. */
export const jsName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, _ and - (max 64)");
