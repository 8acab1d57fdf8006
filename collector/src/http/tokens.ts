// Bearer tokens of the HTTP API and the files that hold them.
//
// A token is `ewt_` + 32 random bytes in base64url (43 characters). The collector never stores one: its token
// file (http.tokenFile) holds one line per token, `sha256:<64 hex> <read|write> <name>`, with `#` comments
// and blank lines allowed. why SHA-256 and not a slow hash: the tokens are random 256-bit values, so no
// dictionary applies. The file must not be writable by group or others (whoever can write it can add a
// token). A client token file (the local one in the data directory, or one given to the CLI) holds the
// token itself on its first line, mode 0600.
//
// Also the entry point `@eastwest/collector/tokens` for the CLI: nothing here loads the store.
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError, errorMessage } from "@eastwest/common";

export const TOKEN_SCOPES = ["read", "write"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface TokenEntry {
  /** SHA-256 of the token's UTF-8 bytes (32 bytes). */
  hash: Buffer;
  scope: TokenScope;
  name: string;
}

const LINE = /^sha256:([0-9a-f]{64})\s+(\S+)\s+(\S+)\s*$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const TOKEN = /^ewt_[A-Za-z0-9_-]{43}$/;

/** The name of the local CLI's token file, beside the embedded store file. */
export const LOCAL_TOKEN_FILE = "api-token";

export function localTokenPath(storePath: string): string {
  return join(dirname(storePath), LOCAL_TOKEN_FILE);
}

export function newToken(): string {
  return `ewt_${randomBytes(32).toString("base64url")}`;
}

export function hashToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** One line of a token file for `token`. */
export function tokenLine(token: string, scope: TokenScope, name: string): string {
  return `sha256:${hashToken(token).toString("hex")} ${scope} ${name}\n`;
}

export function checkName(name: string): string | undefined {
  return NAME.test(name) ? undefined : `token name ${JSON.stringify(name)}: 1-64 of letters, digits, _ . @ - (starting with a letter or digit)`;
}

/** Parses a token file; every bad line is a problem (`source:line: reason`). */
export function parseTokenFile(text: string, source: string): { entries: TokenEntry[]; problems: string[] } {
  const entries: TokenEntry[] = [];
  const problems: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const where = `${source}:${i + 1}`;
    const m = LINE.exec(line);
    if (m === null) return void problems.push(`${where}: expected "sha256:<64 lowercase hex> <read|write> <name>"`);
    const [, hex, scope, name] = m as unknown as [string, string, string, string];
    if (!(TOKEN_SCOPES as readonly string[]).includes(scope)) return void problems.push(`${where}: scope ${JSON.stringify(scope)} is not read or write`);
    const bad = checkName(name);
    if (bad) return void problems.push(`${where}: ${bad}`);
    entries.push({ hash: Buffer.from(hex, "hex"), scope: scope as TokenScope, name });
  });
  return { entries, problems };
}

/** Reads and checks a token file; a ConfigError lists every problem. */
export function readTokenFile(path: string): TokenEntry[] {
  let text: string;
  try {
    const mode = statSync(path).mode;
    if ((mode & 0o022) !== 0) throw new ConfigError([`http.tokenFile ${path}: writable by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 or 640`]);
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([`http.tokenFile ${path}: ${errorMessage(err)}`], { cause: err });
  }
  const { entries, problems } = parseTokenFile(text, path);
  if (problems.length > 0) throw new ConfigError(problems);
  return entries;
}

/** Appends a new token's line to `file` (created 0600 with its directory); returns the token. */
export function appendNewToken(file: string, scope: TokenScope, name: string): string {
  const bad = checkName(name);
  if (bad) throw new ConfigError([bad]);
  mkdirSync(dirname(file), { recursive: true });
  const token = newToken();
  const fd = openSync(file, "a", 0o600);
  try {
    // why: a file written by hand may lack its last newline; the new line must not join it.
    const size = fstatSync(fd).size;
    const sep = size > 0 && !readFileSync(file, "utf8").endsWith("\n") ? "\n" : "";
    writeSync(fd, sep + tokenLine(token, scope, name));
  } finally {
    closeSync(fd);
  }
  return token;
}

/** Reads the token in a client token file (its first non-empty line). */
export function readClientToken(path: string): string {
  const token = readFileSync(path, "utf8").split("\n").map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#"));
  if (token === undefined) throw new ConfigError([`${path}: no token in the file`]);
  return token;
}

/**
 * The local CLI's write token at `path`: read when the file holds one, else made and written (mode 0600,
 * exclusive create, so two collectors on one data directory agree on the token).
 */
export function ensureClientToken(path: string): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const fd = openSync(path, "wx", 0o600);
    const token = newToken();
    try {
      writeSync(fd, token + "\n");
    } finally {
      closeSync(fd);
    }
    return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  // why: a copy made by hand or restored from a backup may have lost its mode.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const token = readClientToken(path);
  if (!TOKEN.test(token)) throw new ConfigError([`${path}: not an eastwest token (ewt_ and 43 base64url characters); remove the file to make a new one`]);
  return token;
}
