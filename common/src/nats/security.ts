// How agents and collectors authenticate to NATS and protect the connection: the config keys (one schema piece,
// merged into each program's `nats` section), the secure-default check, and the client connect options.
//
// Contract:
// - Credentials are one of: user + passwordFile, nkeySeedFile, or credsFile (JWT + seed, operator mode). Secrets
//   are read from files at every connect (never from the command line or the config itself), so a rotated file
//   is used from the next reconnect on.
// - tls: ca (PEM file the server's certificate must chain to), cert + key (PEM files of a client certificate, for
//   servers that verify clients), serverName (the name the server's certificate must carry when the server list
//   holds addresses). TLS 1.2 at least. Files are read at every connect.
// - A server off loopback needs credentials and tls unless `insecure: true`; natsSecurityProblems() says what is
//   missing, natsInsecureWarning() what the programs log at every start when insecure is set.
import { readFileSync } from "node:fs";
import { z } from "zod";
import type { EnvBinding } from "../config.ts";
import { EastwestError, errorMessage } from "../errors.ts";

/** A credentials or TLS file could not be read at connect. */
export class NatsCredentialsError extends EastwestError {}

export const natsTls = z
  .object({
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    serverName: z.string().min(1).max(253).optional(),
  })
  .strict();

/** The keys each program's nats section adds; see the file head for their contract. */
export const natsSecurityShape = {
  user: z.string().min(1).max(256).optional(),
  passwordFile: z.string().min(1).optional(),
  nkeySeedFile: z.string().min(1).optional(),
  credsFile: z.string().min(1).optional(),
  tls: natsTls.optional(),
  /** Allows a server off loopback without TLS or credentials; logged as a warning at every start. */
  insecure: z.boolean(),
};

export interface NatsSecurity {
  servers: string[];
  user?: string | undefined;
  passwordFile?: string | undefined;
  nkeySeedFile?: string | undefined;
  credsFile?: string | undefined;
  tls?: z.infer<typeof natsTls> | undefined;
  insecure: boolean;
}

/** "nats://h:4222" -> "h" (brackets of an IPv6 address removed). */
export function natsServerHost(server: string): string {
  const hostPort = server.replace(/^[a-z]+:\/\//, "");
  const host = hostPort.slice(0, hostPort.lastIndexOf(":"));
  return host.replace(/^\[(.*)\]$/, "$1");
}

const isLoopback = (host: string): boolean => host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

export type NatsAuthKind = "none" | "password" | "nkey" | "creds";

export function natsAuthKind(n: NatsSecurity): NatsAuthKind {
  if (n.credsFile !== undefined) return "creds";
  if (n.nkeySeedFile !== undefined) return "nkey";
  if (n.user !== undefined || n.passwordFile !== undefined) return "password";
  return "none";
}

/** Every configuration problem of the security keys, as [path, message]; `used`: the program talks to NATS. */
export function natsSecurityProblems(n: NatsSecurity, used: boolean): Array<[string[], string]> {
  const out: Array<[string[], string]> = [];
  const methods = [n.user !== undefined || n.passwordFile !== undefined, n.nkeySeedFile !== undefined, n.credsFile !== undefined].filter(Boolean).length;
  if (methods > 1) out.push([[], "choose one of user + passwordFile, nkeySeedFile or credsFile"]);
  if ((n.user === undefined) !== (n.passwordFile === undefined)) out.push([[n.user === undefined ? "user" : "passwordFile"], "user and passwordFile go together"]);
  if ((n.tls?.cert === undefined) !== (n.tls?.key === undefined)) out.push([["tls", n.tls?.cert === undefined ? "cert" : "key"], "tls.cert and tls.key go together"]);
  if (!used || n.insecure) return out;
  const remote = n.servers.filter((s) => !isLoopback(natsServerHost(s)));
  if (remote.length === 0) return out;
  const missing = [natsAuthKind(n) === "none" ? "credentials (passwordFile, nkeySeedFile or credsFile)" : "", n.tls === undefined ? "tls (at least tls.ca)" : ""].filter((s) => s !== "");
  if (missing.length > 0) out.push([["servers"], `${remote.join(", ")} not on loopback: configure ${missing.join(" and ")}, or set insecure: true`]);
  return out;
}

/** The warning to log at every start, or undefined when the connection is protected as configured. */
export function natsInsecureWarning(n: NatsSecurity): string | undefined {
  if (!n.insecure) return undefined;
  return `nats.insecure: true: NATS ${n.tls === undefined ? "without TLS" : "with TLS"}, ${natsAuthKind(n) === "none" ? "without credentials" : `credentials ${natsAuthKind(n)}`}; any client that reaches the server may read batches or command agents unless its authorization forbids it`;
}

/** The library's authenticator factories, passed in so that common does not depend on the NATS client. */
export interface NatsAuthenticators<A> {
  usernamePasswordAuthenticator(user: string, pass: () => string): A;
  nkeyAuthenticator(seed: () => Uint8Array): A;
  credsAuthenticator(creds: () => Uint8Array): A;
}

/** The part of the client's ConnectionOptions this module sets. */
export interface NatsSecureOptions<A> {
  authenticator?: A;
  tls?: { caFile?: string; certFile?: string; keyFile?: string; servername?: string; minVersion: "TLSv1.2" };
}

function readSecret(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new NatsCredentialsError(`NATS ${what} ${file}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Connect options for the configured credentials and TLS; a secret file that cannot be read fails the connect with NatsCredentialsError. */
export function natsSecureOptions<A>(n: NatsSecurity, auth: NatsAuthenticators<A>): NatsSecureOptions<A> {
  const out: NatsSecureOptions<A> = {};
  const kind = natsAuthKind(n);
  if (kind === "password") out.authenticator = auth.usernamePasswordAuthenticator(n.user as string, () => readSecret(n.passwordFile as string, "passwordFile").toString("utf8").trim());
  // why: a seed file may end with a newline; the authenticator wants the seed's bytes alone.
  if (kind === "nkey") out.authenticator = auth.nkeyAuthenticator(() => new Uint8Array(Buffer.from(readSecret(n.nkeySeedFile as string, "nkeySeedFile").toString("utf8").trim())));
  if (kind === "creds") out.authenticator = auth.credsAuthenticator(() => new Uint8Array(readSecret(n.credsFile as string, "credsFile")));
  const t = n.tls;
  if (t !== undefined) {
    out.tls = { minVersion: "TLSv1.2" };
    if (t.ca !== undefined) out.tls.caFile = t.ca;
    if (t.cert !== undefined) out.tls.certFile = t.cert;
    if (t.key !== undefined) out.tls.keyFile = t.key;
    if (t.serverName !== undefined) out.tls.servername = t.serverName;
  }
  return out;
}

/** An operator-facing reason for a failed connect: names the credentials when the server refused them. */
export function describeNatsConnectError(n: NatsSecurity, err: unknown): string {
  const why = errorMessage(err);
  if (!/authorization violation|authentication|user authentication expired|nkey|permissions violation/i.test(why)) return why;
  const kind = natsAuthKind(n);
  const which = kind === "password" ? `user ${n.user}` : kind === "nkey" ? `nkey seed ${n.nkeySeedFile}` : kind === "creds" ? `creds ${n.credsFile}` : "no credentials";
  return `the NATS server refused ${which}: ${why}`;
}

/** The env variables of the security keys, the same for agents and collectors (paths under `nats`). */
export const NATS_SECURITY_ENV = [
  { name: "EASTWEST_NATS_USER", path: ["nats", "user"], type: "string" },
  { name: "EASTWEST_NATS_PASSWORD_FILE", path: ["nats", "passwordFile"], type: "string" },
  { name: "EASTWEST_NATS_NKEY_SEED_FILE", path: ["nats", "nkeySeedFile"], type: "string" },
  { name: "EASTWEST_NATS_CREDS_FILE", path: ["nats", "credsFile"], type: "string" },
  { name: "EASTWEST_NATS_TLS_CA", path: ["nats", "tls", "ca"], type: "string" },
  { name: "EASTWEST_NATS_TLS_CERT", path: ["nats", "tls", "cert"], type: "string" },
  { name: "EASTWEST_NATS_TLS_KEY", path: ["nats", "tls", "key"], type: "string" },
  { name: "EASTWEST_NATS_TLS_SERVER_NAME", path: ["nats", "tls", "serverName"], type: "string" },
  { name: "EASTWEST_NATS_INSECURE", path: ["nats", "insecure"], type: "boolean" },
] as const satisfies readonly EnvBinding[];
