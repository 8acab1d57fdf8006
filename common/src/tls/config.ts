// Schema pieces for TLS sections (the collector's grpc.tls, the agent's collector.tls) and the rule both programs
// share: plaintext only on loopback unless the config says `insecure: true`.
import tls from "node:tls";
import { z } from "zod";
import { isLoopbackHost } from "./loopback.ts";

/** PEM file paths ("" = not set) and how often they are re-read (ms). */
export const tlsFileFields = {
  ca: z.string(),
  cert: z.string(),
  key: z.string(),
  reloadMs: z.number().int().min(100).max(86_400_000),
};

export function tlsFileDefaults(): { ca: string; cert: string; key: string; reloadMs: number } {
  return { ca: "", cert: "", key: "", reloadMs: 10_000 };
}

type Issue = { path: string[]; message: string };

/** cert and key come together. */
export function pairIssues(t: { cert: string; key: string }, at: string[]): Issue[] {
  if ((t.cert === "") === (t.key === "")) return [];
  return [{ path: [...at, t.cert === "" ? "cert" : "key"], message: "cert and key must be given together" }];
}

/**
 * Plaintext to or from a host other than loopback needs `insecure: true`. `what` is the value for the message
 * ("0.0.0.0", "10.0.0.1:7470"; the key is the issue's path); `tlsKeys` says where TLS is configured.
 */
export function plaintextIssues(o: { host: string; what: string; secure: boolean; insecure: boolean; tlsKeys: string; at: string[] }): Issue[] {
  if (o.secure || o.insecure || isLoopbackHost(o.host)) return [];
  return [{ path: o.at, message: `${o.what} is not loopback: configure TLS (${o.tlsKeys}) or set insecure: true to send plaintext` }];
}

/** The lowest TLS version either program speaks. */
export const TLS_MIN_VERSION = "TLSv1.2";

/**
 * Pins Node's minimum TLS version (for contexts made without one) to TLS 1.2. why: grpc-js's certificate-provider
 * credentials take no minVersion; Node's default is already TLSv1.2 but `--tls-min-v1.0`/`--tls-min-v1.1` or
 * NODE_OPTIONS lower it for the whole process.
 */
export function pinTlsMinVersion(): void {
  const order = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
  if (order.indexOf(tls.DEFAULT_MIN_VERSION) < order.indexOf(TLS_MIN_VERSION)) tls.DEFAULT_MIN_VERSION = TLS_MIN_VERSION;
}
