// Reading TLS files (PEM): a CA bundle, a certificate and its private key. Everything is checked before use, so
// that a wrong path, a key that does not match its certificate or an expired certificate is an error at start
// (with the config key that named the file), not a silent handshake failure later.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { EastwestError, errorMessage } from "../errors.ts";

/** Paths of PEM files; "" or undefined: not used. `label` prefixes every problem (e.g. "grpc.tls"). */
export interface TlsPaths {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

/** The files' bytes, and what the certificate says about itself (for the start log). */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** The certificate's subject and validity end, when there is one. */
  subject?: string;
  notAfter?: string;
}

/** One or more TLS files could not be used; `problems` names each with its config key. */
export class TlsFilesError extends EastwestError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join("; "));
    this.problems = problems;
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Raw file contents by role. */
export type TlsBytes = { ca?: Buffer | undefined; cert?: Buffer | undefined; key?: Buffer | undefined };

/** Checks bytes read from `paths`: every CA block parses, the certificate parses, is valid now, and matches the key. */
export function checkTlsMaterial(label: string, paths: TlsPaths, bytes: TlsBytes, now = new Date()): TlsMaterial {
  const problems: string[] = [];
  const out: TlsMaterial = {};
  if (bytes.ca) {
    const blocks = bytes.ca.toString("latin1").match(PEM_CERT) ?? [];
    if (blocks.length === 0) problems.push(`${label}.ca ${paths.ca}: no PEM certificate in the file`);
    for (const b of blocks) {
      try {
        new X509Certificate(b);
      } catch (err) {
        problems.push(`${label}.ca ${paths.ca}: ${errorMessage(err)}`);
      }
    }
    out.ca = bytes.ca;
  }
  if (bytes.cert && bytes.key) {
    try {
      const cert = new X509Certificate(bytes.cert);
      const key = createPrivateKey(bytes.key);
      if (!cert.checkPrivateKey(key)) problems.push(`${label}.key ${paths.key}: does not match the certificate ${paths.cert}`);
      if (new Date(cert.validTo) < now) problems.push(`${label}.cert ${paths.cert}: expired on ${cert.validTo}`);
      else if (new Date(cert.validFrom) > now) problems.push(`${label}.cert ${paths.cert}: not valid before ${cert.validFrom}`);
      Object.assign(out, { cert: bytes.cert, key: bytes.key, subject: cert.subject.replace(/\n/g, ", "), notAfter: new Date(cert.validTo).toISOString() });
    } catch (err) {
      problems.push(`${label}.cert/key ${paths.cert}, ${paths.key}: ${errorMessage(err)}`);
    }
  }
  if (problems.length > 0) throw new TlsFilesError(problems);
  return out;
}

function readEach(label: string, paths: TlsPaths, read: (p: string) => Buffer): TlsBytes {
  const problems: string[] = [];
  const bytes: TlsBytes = {};
  for (const k of ["ca", "cert", "key"] as const) {
    const p = paths[k];
    if (!p) continue;
    try {
      bytes[k] = read(p);
    } catch (err) {
      problems.push(`${label}.${k} ${p}: ${errorMessage(err)}`);
    }
  }
  if (problems.length > 0) throw new TlsFilesError(problems);
  return bytes;
}

/** Reads and checks the files now (at start); throws TlsFilesError with every problem. */
export function readTlsMaterial(label: string, paths: TlsPaths): TlsMaterial {
  return checkTlsMaterial(label, paths, readEach(label, paths, (p) => readFileSync(p)));
}

/** The files' bytes as they are on disk now, unchecked (for change detection); throws TlsFilesError. */
export async function readTlsBytes(label: string, paths: TlsPaths): Promise<TlsBytes> {
  const bytes: TlsBytes = {};
  for (const k of ["ca", "cert", "key"] as const) {
    const p = paths[k];
    if (!p) continue;
    try {
      bytes[k] = await readFile(p);
    } catch (err) {
      throw new TlsFilesError([`${label}.${k} ${p}: ${errorMessage(err)}`]);
    }
  }
  return bytes;
}

/** What is wrong with the files now, as config problems (empty: usable). For a check before anything starts. */
export function tlsFileProblems(label: string, paths: TlsPaths): string[] {
  try {
    readTlsMaterial(label, paths);
    return [];
  } catch (err) {
    if (err instanceof TlsFilesError) return err.problems;
    throw err;
  }
}
