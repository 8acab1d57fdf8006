// A nats-server running deploy/nats/nats.conf: TLS from a test CA (openssl, argument arrays, in the server's temp
// dir), the account file with nkey agents, a password agent and an nkey collector with eastwest's permissions
// (common/src/nats/permissions.ts), monitoring on loopback. Paths and the monitoring port are the test's own;
// sync_interval is dropped for a server older than 2.10, which predates it.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { agentPermissions, collectorPermissions, renderAccount, type AccountUser } from "../../../common/src/nats/permissions.ts";
import { DEFAULT_CONSUMER, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX } from "../../../common/src/nats/subjects.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats.ts";
import { freePort, requireBinary } from "../../helpers/procs.ts";
import { natsVersion } from "../deploy/tools.ts";

export const DEPLOY_CONF = new URL("../../../deploy/nats/nats.conf", import.meta.url);

export interface SecureNats {
  server: NatsServer;
  /** The monitoring port (on 127.0.0.1). */
  monitorPort: number;
  /** PEM of the CA that signed the server's certificate. */
  caFile: string;
  /** nkey seed files by user: "a1", "a2" (agents), "collector", "stranger" (a valid seed the server does not know). */
  seeds: Record<"a1" | "a2" | "collector" | "stranger", string>;
  /** Agent "p1" logs in as user "p1" with the password in this file. */
  passwordFile: string;
  /** A CA that signed nothing the server uses. */
  otherCaFile: string;
}

const openssl = (dir: string, args: string[]): void => void execFileSync(requireBinary("openssl"), args, { cwd: dir, stdio: "pipe" });

function makeCa(dir: string, name: string): void {
  openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`, "-subj", `/CN=${name}`, "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]);
}

/** server.crt for 127.0.0.1 and localhost, signed by ca. */
function makeServerCert(dir: string): void {
  makeCa(dir, "ca");
  makeCa(dir, "other-ca");
  openssl(dir, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=nats"]);
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  openssl(dir, ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "server.ext"]);
}

function seedFile(dir: string, name: string): { file: string; publicKey: string } {
  const kp = nkeys.createUser();
  const file = join(dir, `${name}.nk`);
  writeFileSync(file, `${new TextDecoder().decode(kp.getSeed())}\n`, { mode: 0o600 });
  return { file, publicKey: kp.getPublicKey() };
}

export async function startSecureNats(): Promise<SecureNats> {
  const names = { subjectPrefix: DEFAULT_SUBJECT_PREFIX, stream: DEFAULT_STREAM, consumer: DEFAULT_CONSUMER };
  const monitor = await freePort();
  let out: Omit<SecureNats, "server" | "monitorPort"> | undefined;
  const server = await startNatsServer({
    config: (dir) => {
      makeServerCert(dir);
      const [a1, a2, collector, stranger] = [seedFile(dir, "a1"), seedFile(dir, "a2"), seedFile(dir, "collector"), seedFile(dir, "stranger")];
      const passwordFile = join(dir, "p1.password");
      writeFileSync(passwordFile, "correct horse battery staple\n", { mode: 0o600 });
      const users: AccountUser[] = [
        { label: "agent a1", identity: { nkey: a1.publicKey }, permissions: agentPermissions(DEFAULT_SUBJECT_PREFIX, "a1") },
        { label: "agent a2", identity: { nkey: a2.publicKey }, permissions: agentPermissions(DEFAULT_SUBJECT_PREFIX, "a2") },
        { label: "agent p1", identity: { user: "p1", password: "correct horse battery staple" }, permissions: agentPermissions(DEFAULT_SUBJECT_PREFIX, "p1") },
        { label: "collector", identity: { nkey: collector.publicKey }, permissions: collectorPermissions(names, "col-sec") },
      ];
      writeFileSync(join(dir, "eastwest-accounts.conf"), renderAccount("EASTWEST", users));
      out = { caFile: join(dir, "ca.crt"), otherCaFile: join(dir, "other-ca.crt"), passwordFile, seeds: { a1: a1.file, a2: a2.file, collector: collector.file, stranger: stranger.file } };
      return deployConfFor(dir, monitor);
    },
  });
  if (out === undefined) throw new Error("nats-server configuration was not written");
  return { server, monitorPort: monitor, ...out };
}

/** deploy/nats/nats.conf with this test's files and monitoring port. */
function deployConfFor(dir: string, monitor: number): string {
  const [major, minor] = natsVersion(requireBinary("nats-server"));
  let text = readFileSync(DEPLOY_CONF, "utf8")
    .replace("/etc/nats/tls/tls.crt", join(dir, "server.crt"))
    .replace("/etc/nats/tls/tls.key", join(dir, "server.key"))
    .replace(/^(\s*store_dir:).*$/m, `$1 ${JSON.stringify(join(dir, "js"))}`)
    .replace(/^http: 127\.0\.0\.1:8222$/m, `http: 127.0.0.1:${monitor}`);
  if (major < 2 || (major === 2 && minor < 10)) text = text.replace(/^\s*sync_interval:.*$/m, "");
  for (const must of [join(dir, "server.crt"), `127.0.0.1:${monitor}`, "include ./eastwest-accounts.conf"]) if (!text.includes(must)) throw new Error(`deploy/nats/nats.conf changed shape: no ${must}`);
  return text;
}
