// The agent's side of gRPC transport security, from collector.tls / collector.insecure (config.ts).
//
// With collector.tls.ca set the channel speaks TLS (1.2 minimum) and accepts only a collector whose certificate
// comes from that CA and names the address's host (or tls.serverName); with tls.cert/key it presents this agent's
// certificate, whose CN or a SAN must be the agent id (the collector refuses the hello otherwise). The files are
// re-read every tls.reloadMs; new connections use what was last accepted. Without TLS the channel is plaintext:
// to loopback, or anywhere with collector.insecure (config.ts refuses the rest), logged as a warning at start.
import { credentials, experimental, type ChannelCredentials, type ChannelOptions } from "@grpc/grpc-js";
import { CertFileWatcher, ConfigError, dropWarning, pinTlsMinVersion, TlsFilesError, type Logger } from "@eastwest/common";
import type { AgentConfig } from "../../config.ts";

export type ChannelSecurityConfig = Pick<AgentConfig["collector"], "address" | "insecure" | "tls">;

export interface ChannelSecurity {
  credentials: ChannelCredentials;
  options: ChannelOptions;
  /** Stops re-reading the files; safe twice. */
  close(): void;
}

let quieted = false;

/**
 * Drops Node's DEP0123 warning ("Setting the TLS ServerName to an IP address"), and only it. why: grpc-js sets
 * the SNI name to the target's host even when that is an IP address (a collector on a bridge address); the
 * certificate is still checked against the IP SAN, the warning only adds a non-JSON line to the agent's stderr.
 */
function quietIpServername(): void {
  if (quieted) return;
  quieted = true;
  dropWarning((_message, _type, code) => code === "DEP0123");
}

export function plaintextChannel(): ChannelSecurity {
  return { credentials: credentials.createInsecure(), options: {}, close: () => undefined };
}

/** Builds the channel's credentials; throws ConfigError (exit 78) when a TLS file cannot be used. */
export function channelSecurity(c: ChannelSecurityConfig, logger: Logger): ChannelSecurity {
  if (c.tls.ca === "") {
    if (c.insecure) logger.warn({ collector: c.address }, "gRPC to the collector is plaintext (collector.insecure: true): the collector is not authenticated, batches and commands travel unencrypted");
    return plaintextChannel();
  }
  pinTlsMinVersion();
  quietIpServername();
  let watcher: CertFileWatcher;
  try {
    watcher = new CertFileWatcher({
      label: "collector.tls",
      paths: c.tls,
      reloadMs: c.tls.reloadMs,
      onReload: (m) => logger.info({ subject: m.subject, notAfter: m.notAfter }, "TLS files reloaded: new connections use them"),
      onRejected: (problems) => logger.error({ problems }, "TLS files changed but cannot be used: keeping the previous ones"),
    });
  } catch (err) {
    if (err instanceof TlsFilesError) throw new ConfigError(err.problems, { cause: err });
    throw err;
  }
  const m = watcher.material;
  logger.info({ collector: c.address, subject: m.subject ?? "(no client certificate)", notAfter: m.notAfter, serverName: c.tls.serverName || undefined }, "gRPC to the collector over TLS");
  const creds = experimental.createCertificateProviderChannelCredentials(watcher, c.tls.cert !== "" ? watcher : null);
  const options: ChannelOptions = c.tls.serverName !== "" ? { "grpc.ssl_target_name_override": c.tls.serverName, "grpc.default_authority": c.tls.serverName } : {};
  return { credentials: creds, options, close: () => watcher.close() };
}
