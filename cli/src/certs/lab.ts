// Certificates for a lab (the demo, campaign --lab, tests and benches): a CA, a collector certificate for the
// lab's collector address and one client certificate per agent, in a temporary directory that remove() deletes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CA_CERT, issueAgent, issueCollector, makeCa, type IssuedFiles } from "./pki.ts";

export interface LabCerts {
  dir: string;
  ca: string;
  collector: IssuedFiles;
  agents: Record<string, IssuedFiles>;
  /** The collector's grpc.tls section. */
  collectorTls: { ca: string; cert: string; key: string };
  /** The flags that make agent `id` connect over TLS with its certificate. */
  agentArgs(id: string): string[];
  /** Deletes the directory; safe twice. */
  remove(): void;
}

/** Makes a CA, a collector certificate naming `hosts` (and loopback) and a certificate per agent id. */
export async function labCerts(hosts: string[], agentIds: string[], days = 2): Promise<LabCerts> {
  const dir = mkdtempSync(join(tmpdir(), "eastwest-lab-certs-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    await makeCa(dir, days);
    const collector = await issueCollector(dir, hosts, days);
    const agents: Record<string, IssuedFiles> = {};
    for (const id of agentIds) agents[id] = await issueAgent(dir, id, days);
    const ca = join(dir, CA_CERT);
    return {
      dir,
      ca,
      collector,
      agents,
      collectorTls: { ca, cert: collector.cert, key: collector.key },
      agentArgs: (id) => {
        const a = agents[id];
        return ["--tls-ca", ca, ...(a ? ["--tls-cert", a.cert, "--tls-key", a.key] : [])];
      },
      remove,
    };
  } catch (err) {
    remove();
    throw err;
  }
}
