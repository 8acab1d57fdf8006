// Pure QMP protocol pieces: line framing over a byte stream and decoding of one server message.
// QMP (docs/interop/qmp-spec.rst): the server sends one JSON object per line, "\r\n" terminated; a greeting
// {"QMP": {...}}, replies {"return": ..., "id": ...} or {"error": {"class", "desc"}, "id": ...}, and async
// {"event": ...} at any time, also between a command and its reply.
import { EastwestError, ParseError } from "@eastwest/common";
import { excerpt } from "../../host/text.ts";

/** A QMP error reply (class e.g. "CommandNotFound", "GenericError") or a failed exchange. */
export class QmpError extends EastwestError {
  /** QEMU's error class; "" when the failure is not a QEMU reply (connection, deadline). */
  readonly errorClass: string;
  constructor(message: string, errorClass = "", options?: { cause?: unknown }) {
    super(message, options);
    this.errorClass = errorClass;
  }
}

export type QmpMessage =
  | { kind: "greeting"; version: string }
  | { kind: "event"; event: string }
  | { kind: "return"; id: unknown; value: unknown }
  | { kind: "error"; id: unknown; errorClass: string; desc: string };

/** Text in, complete lines out; a partial line waits for the rest. Bounded: a line may not exceed `maxChars`. */
export class LineSplitter {
  #buf = "";
  readonly #maxChars: number;

  constructor(maxChars = 16 * 1024 * 1024) {
    this.#maxChars = maxChars;
  }

  /** Complete lines (without "\r\n") in arrival order; throws ParseError when a line grows past the bound. */
  push(chunk: string): string[] {
    this.#buf += chunk;
    const parts = this.#buf.split("\n");
    this.#buf = parts.pop() ?? "";
    if (this.#buf.length > this.#maxChars) throw new ParseError("QMP", `a line longer than ${this.#maxChars} characters`);
    return parts.map((l) => l.replace(/\r$/, "")).filter((l) => l.trim() !== "");
  }

  /** Characters received after the last complete line. */
  get pending(): number {
    return this.#buf.length;
  }
}

// Any integer of up to 15 digits is exact as a double (2^53 has 16).
const LONG_NUMBER = /\d{16}/;

/**
 * JSON whose integers are exact: a line with a number of 16 or more digits (a u64 KVM counter past 2^53) is parsed
 * with every integer as a bigint; other lines parse plainly (numbers), ~15x cheaper.
 * why: the reviver's third argument (source text) needs V8 >= 11.4 (Node >= 21).
 */
export function parseJsonExact(text: string): unknown {
  if (!LONG_NUMBER.test(text)) return JSON.parse(text);
  return JSON.parse(text, (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === "number" && context?.source !== undefined && /^-?\d+$/.test(context.source) ? BigInt(context.source) : value,
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function version(greeting: unknown): string {
  const q = isObject(greeting) && isObject(greeting["version"]) ? greeting["version"]["qemu"] : undefined;
  if (!isObject(q)) return "";
  return [q["major"], q["minor"], q["micro"]].map(String).join(".");
}

/** One line from a QMP server; ParseError when it is not JSON or not a QMP message. */
export function parseQmpLine(line: string): QmpMessage {
  let msg: unknown;
  try {
    msg = parseJsonExact(line);
  } catch (err) {
    // why: a human monitor (-mon mode=readline, HMP) answers "QEMU 7.2.0 monitor - type 'help' ...".
    throw new ParseError("QMP", `not a JSON line: ${excerpt(line)} (a human monitor, not mode=control?)`, { cause: err });
  }
  if (!isObject(msg)) throw new ParseError("QMP", `not a JSON object: ${excerpt(line)}`);
  if ("QMP" in msg) return { kind: "greeting", version: version(msg["QMP"]) };
  if (typeof msg["event"] === "string") return { kind: "event", event: msg["event"] };
  if ("return" in msg) return { kind: "return", id: msg["id"], value: msg["return"] };
  const err = msg["error"];
  if (isObject(err)) {
    return { kind: "error", id: msg["id"], errorClass: String(err["class"] ?? ""), desc: String(err["desc"] ?? "") };
  }
  throw new ParseError("QMP", `neither greeting, reply, error nor event: ${excerpt(line)}`);
}
