// A small CA for eastwest's gRPC mutual TLS, made with the system's openssl (openssl.ts): EC P-256 keys, SHA-256
// signatures, random 128-bit serials. Layout of a directory (what `eastwest certs` writes):
//   ca.pem, ca.key                 the CA (keep ca.key on the machine that issues; agents and collector need ca.pem)
//   collector.pem, collector.key   the collector's server certificate (SANs: the hosts given + localhost, 127.0.0.1, ::1)
//   agent-<ID>.pem, agent-<ID>.key an agent's client certificate (CN and SAN DNS = ID)
// Keys are written with mode 0600, every file through a temporary name and a rename, so that a process that
// re-reads them (CertFileWatcher) never sees half a file.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EastwestError } from "@eastwest/common";
import { openssl } from "./openssl.ts";

export class PkiError extends EastwestError {}

export const CA_CERT = "ca.pem";
export const CA_KEY = "ca.key";
export const COLLECTOR_CERT = "collector.pem";
export const COLLECTOR_KEY = "collector.key";
export const agentFiles = (id: string) => ({ cert: `agent-${id}.pem`, key: `agent-${id}.key` });

/** Agent ids as the agent's config allows them (letters, digits and . _ : -). */
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const HOST = /^[A-Za-z0-9*]([A-Za-z0-9.-]{0,252})$/;

export interface IssuedFiles {
  cert: string;
  key: string;
}

/** Writes `data` to `path` atomically (temp + rename) with `mode`. */
function writeAtomic(path: string, data: Buffer | string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  writeFileSync(tmp, data, { mode, flag: "wx" });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

const newKey = () => openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);

/** Makes a CA in `dir` (ca.pem, ca.key); refuses to overwrite an existing one. */
export async function makeCa(dir: string, days: number, name = "eastwest CA"): Promise<IssuedFiles> {
  const files = { cert: join(dir, CA_CERT), key: join(dir, CA_KEY) };
  if (existsSync(files.key) || existsSync(files.cert)) throw new PkiError(`${dir} already holds a CA (${CA_CERT}, ${CA_KEY}): remove them or choose another --out`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeAtomic(files.key, await newKey(), 0o600);
  const subj = `/CN=${name}`;
  const cert = await openssl(["req", "-x509", "-new", "-key", files.key, "-subj", subj, "-days", String(days), "-sha256", "-set_serial", serial(), "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-addext", "subjectKeyIdentifier=hash"]);
  writeAtomic(files.cert, cert, 0o644);
  return files;
}

export interface IssueOptions {
  /** Directory of ca.pem and ca.key. */
  caDir: string;
  cn: string;
  /** DNS names and IP addresses (told apart by their form). */
  sans: string[];
  usage: "server" | "client";
  /** Validity from now; negative gives a certificate that has already expired (tests). */
  days: number;
  out: IssuedFiles;
}

/** Issues a certificate signed by the CA in caDir, with a new key; overwrites out.cert and out.key. */
export async function issue(o: IssueOptions): Promise<IssuedFiles> {
  const ca = { cert: join(o.caDir, CA_CERT), key: join(o.caDir, CA_KEY) };
  if (!existsSync(ca.cert) || !existsSync(ca.key)) throw new PkiError(`no CA in ${o.caDir} (${CA_CERT}, ${CA_KEY}): run eastwest certs init --out ${o.caDir} first`);
  const work = mkdtempSync(join(tmpdir(), "eastwest-certs-"));
  try {
    const keyFile = join(work, "key.pem");
    writeFileSync(keyFile, await newKey(), { mode: 0o600 });
    const csr = await openssl(["req", "-new", "-key", keyFile, "-subj", `/CN=${o.cn}`]);
    const ext = join(work, "ext.cnf");
    writeFileSync(ext, extensions(o.sans, o.usage));
    const cert = await openssl(["x509", "-req", "-CA", ca.cert, "-CAkey", ca.key, "-days", String(o.days), "-sha256", "-set_serial", serial(), "-extfile", ext, "-extensions", "v3"], csr);
    writeAtomic(o.out.key, readFileSync(keyFile), 0o600);
    writeAtomic(o.out.cert, cert, 0o644);
    return o.out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function serial(): string {
  // why: positive (top bit clear) and never zero, as RFC 5280 asks.
  const b = randomBytes(16);
  b[0] = ((b[0] as number) & 0x7f) | 0x01;
  return `0x${b.toString("hex")}`;
}

function extensions(sans: string[], usage: "server" | "client"): string {
  const alt = sans.map((s) => (isIP(s) ? `IP:${s}` : `DNS:${s}`)).join(",");
  return [
    "[v3]",
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature",
    `extendedKeyUsage=${usage === "server" ? "serverAuth" : "clientAuth"}`,
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid",
    ...(alt ? [`subjectAltName=${alt}`] : []),
    "",
  ].join("\n");
}

/** The collector's certificate: SANs are `hosts` plus localhost, 127.0.0.1 and ::1. */
export function issueCollector(dir: string, hosts: string[], days: number): Promise<IssuedFiles> {
  for (const h of hosts) if (!isIP(h) && !HOST.test(h)) throw new PkiError(`--host ${JSON.stringify(h)}: expected a DNS name or an IP address`);
  const sans = [...new Set([...hosts, "localhost", "127.0.0.1", "::1"])];
  return issue({ caDir: dir, cn: hosts[0] ?? "localhost", sans, usage: "server", days, out: { cert: join(dir, COLLECTOR_CERT), key: join(dir, COLLECTOR_KEY) } });
}

/** An agent's client certificate: CN and SAN DNS = id. */
export function issueAgent(dir: string, id: string, days: number, out?: IssuedFiles): Promise<IssuedFiles> {
  if (!AGENT_ID.test(id)) throw new PkiError(`agent id ${JSON.stringify(id)}: letters, digits and . _ : - (max 128)`);
  const f = agentFiles(id);
  return issue({ caDir: dir, cn: id, sans: [id], usage: "client", days, out: out ?? { cert: join(dir, f.cert), key: join(dir, f.key) } });
}
