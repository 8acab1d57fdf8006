// The collector's `http` section: where the JSON API listens, who may use it, and what one request may cost.
//
// Access (see auth.ts): GET/HEAD are open while the API listens on loopback only, else they need a read or
// write token; every other method needs a write token. Tokens come from `tokenFile` (hashed, see tokens.ts)
// and, with `localToken`, from a write token the collector keeps in its data directory for the local CLI.
// A non-loopback `host` without `tokenFile` is a configuration error unless `insecure: true`, which turns
// authentication off (logged as a warning at every start).
import { isIP } from "node:net";
import { z } from "zod";
import type { EnvBinding } from "@eastwest/common";

export const httpConfigSchema = z
  .object({
    /** Listen address; 127.0.0.1 by default. */
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    /** File of hashed bearer tokens (`sha256:<hex> <read|write> <name>` per line); "" for none. */
    tokenFile: z.string(),
    /** Keep a write token for the local CLI in `<store.path's directory>/api-token` (mode 0600). */
    localToken: z.boolean(),
    /** No authentication at all. Needed to listen off loopback without `tokenFile`. */
    insecure: z.boolean(),
    /** Largest request body; larger answers 413. */
    maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024),
    /** Time a client has to send the request headers, and the whole request (headers and body). */
    headersTimeoutMs: z.number().int().min(100).max(600_000),
    requestTimeoutMs: z.number().int().min(100).max(3_600_000),
    /** Open connections at once; more are refused. */
    maxConnections: z.number().int().min(1).max(100_000),
  })
  .strict()
  // why: "when" runs the cross-field checks even when other keys failed, so every problem is reported at once;
  // each check then looks only at keys of the right type.
  .superRefine(checkHttp, { when: (p) => typeof p.value === "object" && p.value !== null });

export type HttpConfig = z.infer<typeof httpConfigSchema>;

function checkHttp(h: HttpConfig, ctx: z.RefinementCtx): void {
  if (typeof h.headersTimeoutMs === "number" && typeof h.requestTimeoutMs === "number" && h.headersTimeoutMs > h.requestTimeoutMs)
    ctx.addIssue({ code: "custom", path: ["headersTimeoutMs"], message: "must be <= requestTimeoutMs" });
  if (typeof h.host === "string" && !isLoopback(h.host) && !h.tokenFile && h.insecure !== true)
    ctx.addIssue({
      code: "custom",
      path: ["host"],
      message: `${h.host} is not a loopback address: set http.tokenFile (hashed bearer tokens, see 'eastwest token new') or, to serve without authentication, http.insecure: true`,
    });
}

export function httpDefaults(): Record<string, unknown> {
  return {
    host: "127.0.0.1",
    port: 7471,
    tokenFile: "",
    localToken: true,
    insecure: false,
    maxBodyBytes: 1024 * 1024,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    maxConnections: 256,
  };
}

export const HTTP_ENV: readonly EnvBinding[] = [
  { name: "EASTWEST_HTTP_HOST", path: ["http", "host"], type: "string" },
  { name: "EASTWEST_HTTP_PORT", path: ["http", "port"], type: "number" },
  { name: "EASTWEST_HTTP_TOKEN_FILE", path: ["http", "tokenFile"], type: "string" },
  { name: "EASTWEST_HTTP_LOCAL_TOKEN", path: ["http", "localToken"], type: "boolean" },
  { name: "EASTWEST_HTTP_INSECURE", path: ["http", "insecure"], type: "boolean" },
  { name: "EASTWEST_HTTP_MAX_BODY_BYTES", path: ["http", "maxBodyBytes"], type: "number" },
];

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, ::ffff:127.x, "localhost". */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || /^(0{1,4}:){7}0{0,3}1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}
