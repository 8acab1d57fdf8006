// A nats-server as deploy/nats runs it: TLS from a test CA (openssl, argument arrays, in the server's temp dir),
// one account whose users are nkey agents, a password agent and an nkey collector with eastwest's permissions
// (common/src/nats/permissions.ts), monitoring on loopback.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { agentPermissions, collectorPermissions, renderAccount, type AccountUser } from "../../../common/src/nats/permissions.ts";
import { DEFAULT_CONSUMER, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX } from "../../../common/src/nats/subjects.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats.ts";
import { freePort, requireBinary } from "../../helpers/procs.ts";

export interface SecureNats {
  server: NatsServer;
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
  let out: Omit<SecureNats, "server"> | undefined;
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
        { label: "collector", identity: { nkey: collector.publicKey }, permissions: collectorPermissions(names) },
      ];
      writeFileSync(join(dir, "eastwest-accounts.conf"), renderAccount("EASTWEST", users));
      out = { caFile: join(dir, "ca.crt"), otherCaFile: join(dir, "other-ca.crt"), passwordFile, seeds: { a1: a1.file, a2: a2.file, collector: collector.file, stranger: stranger.file } };
      return [`http: "127.0.0.1:${monitor}"`, `tls { cert_file: ${JSON.stringify(join(dir, "server.crt"))}, key_file: ${JSON.stringify(join(dir, "server.key"))} }`, "accounts {", "  include ./eastwest-accounts.conf", "}", ""].join("\n");
    },
  });
  if (out === undefined) throw new Error("nats-server configuration was not written");
  return { server, ...out };
}
