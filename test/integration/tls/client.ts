// A bare gRPC client for the mTLS tests: opens the Connect stream with given TLS files, says hello as an agent
// id and reports what came back first: a Welcome, or the status the stream ended with.
import { readFileSync } from "node:fs";
import { connect as tlsConnect } from "node:tls";
import { credentials, type ClientDuplexStream } from "@grpc/grpc-js";
import { TelemetryClient, type AgentMessage, type CollectorMessage, type Hello } from "@eastwest/proto";

export interface Files {
  cert?: string;
  key?: string;
}

export type Outcome = { welcome: true } | { welcome: false; code: number; details: string };

export interface Stream {
  call: ClientDuplexStream<AgentMessage, CollectorMessage>;
  /** The first answer to the hello. */
  first: Promise<Outcome>;
  /** The status the stream ended with (after a Welcome), e.g. when a newer session replaced it. */
  ended: Promise<{ code: number; details: string }>;
  /** Commands the collector sent on this stream. */
  commands: string[];
  close(): void;
}

export function hello(agentId: string): Hello {
  return { agentId, role: 1, hostname: "mtls-test", kernel: "", machineUuid: "", netns: "", capabilities: [], agentVersion: "", calibration: undefined, pid: process.pid, cpuModel: "", toolVersions: {}, sessionId: "", clock: undefined };
}

/** Connects to 127.0.0.1:port trusting `ca`, presenting `files` when given, and says hello as agentId. */
export function open(port: number, ca: string, files: Files, agentId: string): Stream {
  const creds = credentials.createSsl(readFileSync(ca), files.key ? readFileSync(files.key) : null, files.cert ? readFileSync(files.cert) : null);
  const client = new TelemetryClient(`127.0.0.1:${port}`, creds);
  const call = client.connect();
  const commands: string[] = [];
  let settle: (o: Outcome) => void = () => undefined;
  const first = new Promise<Outcome>((r) => (settle = r));
  const ended = new Promise<{ code: number; details: string }>((resolve) => {
    call.on("error", (e: Error & { code?: number; details?: string }) => {
      const s = { code: e.code ?? -1, details: e.details ?? e.message };
      settle({ welcome: false, ...s });
      resolve(s);
    });
  });
  call.on("data", (m: CollectorMessage) => {
    if (m.msg?.$case === "welcome") settle({ welcome: true });
    if (m.msg?.$case === "command") commands.push(m.msg.value.id);
  });
  call.on("end", () => undefined);
  call.write({ msg: { $case: "hello", value: hello(agentId) } });
  return {
    call,
    first,
    ended,
    commands,
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

/**
 * How the server answers a TLS handshake with these client files: "accepted" once it sent its first HTTP/2 bytes
 * (it took the client), else "closed" or the error code of its alert (e.g. ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED).
 */
export function tlsAlert(port: number, ca: string, files: Files): Promise<string> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(ca), ALPNProtocols: ["h2"], ...(files.cert && files.key ? { cert: readFileSync(files.cert), key: readFileSync(files.key) } : {}) });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    // why: with TLS 1.3 the client finishes its handshake before the server checks its certificate; the server's
    // first bytes (HTTP/2 SETTINGS) or its alert tell which way it went.
    s.once("data", () => (resolve("accepted"), s.destroy()));
    s.once("close", () => resolve("closed"));
  });
}
