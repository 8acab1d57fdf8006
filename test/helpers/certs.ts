// Certificates for tests that start a collector and agents over gRPC mutual TLS: made with the same code as
// `eastwest certs` (cli/src/certs/pki.ts, the system's openssl) in a directory the test owns and removes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { CA_CERT, issueAgent, issueCollector, makeCa, type IssuedFiles } from "../../cli/src/certs/pki.ts";
import { start } from "./procs.ts";

/** Runs `eastwest certs ARGS` as a process; resolves once it exited 0. */
export async function certs(args: string[]): Promise<void> {
  const p = start(["certs", ...args]);
  const code = await p.exited;
  assert.equal(code, 0, `eastwest certs ${args.join(" ")}: ${p.stderr()}`);
}

export interface TestCerts {
  ca: string;
  collector: IssuedFiles;
  /** `eastwest collector` flags for TLS with client certificates required. */
  collectorArgs: string[];
  /** Issues agent `id`'s certificate (once) and resolves with its `eastwest agent` TLS flags. */
  agentArgs(id: string): Promise<string[]>;
}

/** A CA and a collector certificate for `hosts` (plus loopback) under dir/pki. */
export async function makeCerts(dir: string, hosts: string[]): Promise<TestCerts> {
  const pki = join(dir, "pki");
  await makeCa(pki, 2);
  const collector = await issueCollector(pki, hosts, 2);
  const ca = join(pki, CA_CERT);
  const issued = new Map<string, IssuedFiles>();
  return {
    ca,
    collector,
    collectorArgs: ["--tls-ca", ca, "--tls-cert", collector.cert, "--tls-key", collector.key],
    async agentArgs(id) {
      const f = issued.get(id) ?? (await issueAgent(pki, id, 2));
      issued.set(id, f);
      return ["--tls-ca", ca, "--tls-cert", f.cert, "--tls-key", f.key];
    },
  };
}
