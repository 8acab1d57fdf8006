// Transport security of the gRPC receiver (grpc.ts): its server credentials from grpc.tls, and who an agent is.
//
// With grpc.tls.cert/key set the server speaks TLS only (1.2 minimum); the files are re-read every
// tls.reloadMs and new connections use what was last accepted (common/src/tls/watcher.ts). With clientAuth
// "require" the handshake fails for a client without a certificate from tls.ca (or one expired or not yet
// valid), and a hello is accepted only when the certificate's CN or one of its DNS/URI SANs equals the hello's
// agent_id (else PERMISSION_DENIED). Without TLS the server is plaintext: on loopback, or anywhere with
// grpc.insecure (config.ts refuses the rest), which is logged as a warning at every start.
import type { PeerCertificate } from "node:tls";
import { experimental, ServerCredentials, type ServerDuplexStream } from "@grpc/grpc-js";
import { CertFileWatcher, ConfigError, isLoopbackHost, pinTlsMinVersion, TlsFilesError, type Logger } from "@eastwest/common";
import type { CollectorConfig } from "../config.ts";

export type GrpcSecurityConfig = Pick<CollectorConfig["grpc"], "host" | "insecure" | "tls">;

/** No TLS, no insecure: plaintext on loopback only. */
export const LOOPBACK_ONLY: Omit<GrpcSecurityConfig, "host"> = { insecure: false, tls: { ca: "", cert: "", key: "", reloadMs: 10_000, clientAuth: "require" } };

export interface ServerSecurity {
  credentials: ServerCredentials;
  /** Whether hellos must match a client certificate. */
  requireClientCert: boolean;
  /** Stops re-reading the files; safe twice. */
  close(): void;
}

/** Builds the server's credentials; throws ConfigError (exit 78) when a TLS file cannot be used. */
export function serverSecurity(c: GrpcSecurityConfig, logger: Logger): ServerSecurity {
  if (c.tls.cert === "") {
    if (c.insecure) logger.warn({ host: c.host }, "gRPC ingest is plaintext (grpc.insecure: true): agents are not authenticated, batches and commands travel unencrypted");
    else if (!isLoopbackHost(c.host)) throw new ConfigError([`grpc.host ${c.host} is not loopback: configure grpc.tls or set grpc.insecure: true`]);
    return { credentials: ServerCredentials.createInsecure(), requireClientCert: false, close: () => undefined };
  }
  pinTlsMinVersion();
  let watcher: CertFileWatcher;
  try {
    watcher = new CertFileWatcher({
      label: "grpc.tls",
      paths: c.tls,
      reloadMs: c.tls.reloadMs,
      onReload: (m) => logger.info({ subject: m.subject, notAfter: m.notAfter }, "gRPC TLS files reloaded: new connections use them"),
      onRejected: (problems) => logger.error({ problems }, "gRPC TLS files changed but cannot be used: keeping the previous ones"),
    });
  } catch (err) {
    if (err instanceof TlsFilesError) throw new ConfigError(err.problems, { cause: err });
    throw err;
  }
  const require = c.tls.clientAuth === "require";
  const m = watcher.material;
  logger.info({ subject: m.subject, notAfter: m.notAfter, clientAuth: c.tls.clientAuth, reloadMs: c.tls.reloadMs }, "gRPC ingest over TLS");
  // why: grpc-js names the first parameter caCertificateProvider but passes it on as the identity provider; one
  // watcher serves as both, so the order cannot go wrong.
  const credentials = experimental.createCertificateProviderServerCredentials(watcher, c.tls.ca !== "" ? watcher : null, require);
  return { credentials, requireClientCert: require, close: () => watcher.close() };
}

/** Who the peer of a stream is, from its client certificate: the names it may use, and its SHA-256 fingerprint. */
export interface PeerIdentity {
  names: string[];
  fingerprint: string;
}

/** The client certificate of a stream, or undefined (plaintext, or no certificate presented). */
export function peerIdentity(call: Pick<ServerDuplexStream<unknown, unknown>, "getAuthContext">): PeerIdentity | undefined {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  if (!cert || !cert.fingerprint256) return undefined;
  return { names: certNames(cert), fingerprint: cert.fingerprint256 };
}

/** CN(s) and DNS/URI SANs. why: Node quotes a SAN value as JSON when it holds a separator-like character. */
export function certNames(cert: Pick<PeerCertificate, "subject" | "subjectaltname">): string[] {
  const cn = cert.subject?.CN as string | string[] | undefined;
  const names = cn === undefined ? [] : Array.isArray(cn) ? [...cn] : [cn];
  for (const entry of (cert.subjectaltname ?? "").split(", ")) {
    const m = /^(DNS|URI):(.*)$/.exec(entry);
    if (!m) continue;
    const v = m[2] as string;
    try {
      names.push(v.startsWith('"') ? (JSON.parse(v) as string) : v);
    } catch {
      continue;
    }
  }
  return names;
}

/** Why a hello for agentId is refused on a stream with this identity, or undefined when it is accepted. */
export function identityProblem(agentId: string, identity: PeerIdentity | undefined, requireClientCert: boolean): string | undefined {
  if (!requireClientCert) return undefined;
  if (!identity) return "no client certificate";
  if (identity.names.includes(agentId)) return undefined;
  return `agent_id ${JSON.stringify(agentId)} is not the client certificate's CN or a SAN (${identity.names.map((n) => JSON.stringify(n)).join(", ") || "none"})`;
}
