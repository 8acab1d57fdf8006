// Who may use the HTTP API: bearer tokens with read and write scopes (tokens.ts holds the file format).
//
// Contract of ApiAuth.decide(method, path, authorization):
// - `GET /healthz` is always open (liveness probes carry no token);
// - GET and HEAD need a read or write token unless `openRead` (the API listens on loopback only);
// - every other method needs a write token;
// - `insecure` admits everything.
// A missing or unknown token answers 401 with `WWW-Authenticate: Bearer`, a read token on a write request 403.
// Tokens are compared as SHA-256 digests with timingSafeEqual against every known entry, so the time taken does
// not depend on which entry matched or how much of it. The token file is re-read when it changes: checked on a
// request at most once a second, and at once when a token is not known, so a new token works at once and a
// removed one stops working within a second; a file that became invalid keeps the previous tokens and is logged.
import { statSync } from "node:fs";
import { timingSafeEqual } from "node:crypto";
import { errorMessage, type Logger } from "@eastwest/common";
import { hashToken, readTokenFile, type TokenEntry, type TokenScope } from "./tokens.ts";

export type AuthDecision =
  | { kind: "ok"; who: string }
  | { kind: "denied"; status: 401 | 403; error: string };

export interface ApiAuth {
  decide(method: string, path: string, authorization: string | undefined): AuthDecision;
}

export interface TokenAuthOptions {
  /** The token file (http.tokenFile), "" for none. Read at construction: a bad file throws ConfigError. */
  file: string;
  /** Tokens that do not come from the file (the local CLI's). */
  extra: TokenEntry[];
  /** GET/HEAD without a token (loopback only). */
  openRead: boolean;
  /** Admit every request. */
  insecure: boolean;
  logger: Logger;
  /** Monotonic ms; tests inject one. */
  nowMs?: () => number;
}

const BEARER = /^Bearer +([^\s]+) *$/i;
const RELOAD_CHECK_MS = 1000;

export class TokenAuth implements ApiAuth {
  readonly #o: TokenAuthOptions;
  readonly #now: () => number;
  #fromFile: TokenEntry[] = [];
  #stamp = "";
  #checkedMs = -Infinity;

  constructor(o: TokenAuthOptions) {
    this.#o = o;
    this.#now = o.nowMs ?? (() => performance.now());
    if (o.file !== "") {
      this.#fromFile = readTokenFile(o.file);
      this.#stamp = stampOf(o.file);
      this.#checkedMs = this.#now();
    }
  }

  /** Tokens known now (file and extra). */
  get size(): number {
    return this.#fromFile.length + this.#o.extra.length;
  }

  decide(method: string, path: string, authorization: string | undefined): AuthDecision {
    const read = method === "GET" || method === "HEAD";
    if (this.#o.insecure) return { kind: "ok", who: "insecure" };
    if (read && (this.#o.openRead || path === "/healthz")) return { kind: "ok", who: "anonymous" };
    const need: TokenScope = read ? "read" : "write";
    const m = authorization === undefined ? null : BEARER.exec(authorization);
    if (m === null) return { kind: "denied", status: 401, error: `a bearer token with scope ${need} is required (Authorization: Bearer <token>)` };
    const entry = this.#match(m[1] as string);
    if (entry === undefined) return { kind: "denied", status: 401, error: "unknown token" };
    if (need === "write" && entry.scope !== "write") return { kind: "denied", status: 403, error: `token ${entry.name} has scope ${entry.scope}; ${method} needs write` };
    return { kind: "ok", who: entry.name };
  }

  #match(token: string): TokenEntry | undefined {
    this.#reloadIfChanged(false);
    const digest = hashToken(token);
    // why: a token added a moment ago works at once; a miss costs one stat() of the file.
    return this.#find(digest) ?? (this.#reloadIfChanged(true), this.#find(digest));
  }

  #find(digest: Buffer): TokenEntry | undefined {
    let found: TokenEntry | undefined;
    for (const e of [...this.#fromFile, ...this.#o.extra]) if (timingSafeEqual(digest, e.hash) && found === undefined) found = e;
    return found;
  }

  /** Re-reads the file when it changed; unless `now`, at most once per RELOAD_CHECK_MS (that bounds revocation). */
  #reloadIfChanged(now: boolean): void {
    const file = this.#o.file;
    if (file === "" || (!now && this.#now() - this.#checkedMs < RELOAD_CHECK_MS)) return;
    this.#checkedMs = this.#now();
    let stamp: string;
    try {
      stamp = stampOf(file);
    } catch (err) {
      if (this.#stamp !== "gone") this.#o.logger.error({ file, err: errorMessage(err) }, "http token file unreadable; keeping the tokens read before");
      this.#stamp = "gone";
      return;
    }
    if (stamp === this.#stamp) return;
    this.#stamp = stamp;
    try {
      this.#fromFile = readTokenFile(file);
      this.#o.logger.info({ file, tokens: this.#fromFile.length }, "http token file re-read");
    } catch (err) {
      this.#o.logger.error({ file, err: errorMessage(err) }, "http token file invalid; keeping the tokens read before");
    }
  }
}

function stampOf(file: string): string {
  const s = statSync(file);
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.mode}`;
}
