// iperf3 commands -> validated argv arrays (pure). Every problem is reported at once.
import { isIP } from "node:net";
import type { Iperf3Client, Iperf3Server } from "@eastwest/proto";

export const MAX_LENGTH_BYTES = 16 * 1024 * 1024;
/** A one-off server waits this long (ms) for a test to finish when one_off_timeout_ms is 0. */
export const DEFAULT_ONE_OFF_TIMEOUT_MS = 120_000;
/** Upper bound of one_off_timeout_ms: a 3600 s run plus 300 s to start. */
export const MAX_ONE_OFF_TIMEOUT_MS = 3_900_000;
const CONGESTION_NAME = /^[a-z0-9_]{1,16}$/;

function intIn(problems: string[], name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name}: expected an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
}

function ipLiteral(problems: string[], name: string, value: string, required: boolean): void {
  if (value === "" && !required) return;
  if (typeof value !== "string" || isIP(value) === 0) problems.push(`${name}: expected an IPv4 or IPv6 literal, got ${JSON.stringify(value)}`);
}

export function serverProblems(spec: Iperf3Server): string[] {
  const problems: string[] = [];
  intIn(problems, "port", spec.port, 1, 65535);
  ipLiteral(problems, "bind", spec.bind, false);
  if (spec.oneOffTimeoutMs !== 0) intIn(problems, "one_off_timeout_ms", spec.oneOffTimeoutMs, 1, MAX_ONE_OFF_TIMEOUT_MS);
  return problems;
}

/**
 * `available`: the names in /proc/sys/net/ipv4/tcp_available_congestion_control, or an Error when
 * that file could not be read; consulted only when spec.congestion is set.
 */
export function clientProblems(spec: Iperf3Client, available: readonly string[] | Error): string[] {
  const problems: string[] = [];
  ipLiteral(problems, "server", spec.server, true);
  intIn(problems, "port", spec.port, 1, 65535);
  intIn(problems, "duration_s", spec.durationS, 1, 3600);
  intIn(problems, "streams", spec.streams, 1, 128);
  if (spec.lengthBytes !== 0) intIn(problems, "length_bytes", spec.lengthBytes, 1, MAX_LENGTH_BYTES);
  if (spec.reverse && spec.bidir) problems.push("reverse and bidir are exclusive: set at most one");
  const cc = spec.congestion;
  if (cc === "") return problems;
  if (typeof cc !== "string" || !CONGESTION_NAME.test(cc)) {
    problems.push(`congestion: expected a name matching ${CONGESTION_NAME.source}, got ${JSON.stringify(cc)}`);
  } else if (available instanceof Error) {
    problems.push(`congestion: cannot read the available algorithms: ${available.message}`);
  } else if (!available.includes(cc)) {
    problems.push(`congestion: ${JSON.stringify(cc)} is not available on this host (available: ${available.join(" ") || "none"})`);
  }
  return problems;
}

/** Contents of tcp_available_congestion_control -> names. */
export function parseAvailableCongestion(text: string): string[] {
  return text.split(/\s+/).filter((name) => name !== "");
}

/** `iperf3 -s -1 -J -p <port> [-B <bind>]`: a one-off server. Call after serverProblems() is empty. */
export function serverArgs(spec: Iperf3Server): string[] {
  const args = ["-s", "-1", "-J", "-p", String(spec.port)];
  if (spec.bind !== "") args.push("-B", spec.bind);
  return args;
}

/** `iperf3 -c <server> -p <port> -t <s> -P <n> [-l <len>] [-C <cc>] [-R|--bidir] -J`. Call after clientProblems() is empty. */
export function clientArgs(spec: Iperf3Client): string[] {
  const args = ["-c", spec.server, "-p", String(spec.port), "-t", String(spec.durationS), "-P", String(spec.streams)];
  if (spec.lengthBytes !== 0) args.push("-l", String(spec.lengthBytes));
  if (spec.congestion !== "") args.push("-C", spec.congestion);
  if (spec.reverse) args.push("-R");
  if (spec.bidir) args.push("--bidir");
  args.push("-J");
  return args;
}
