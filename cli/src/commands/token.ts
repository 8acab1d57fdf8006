// `eastwest token new|list`: bearer tokens of the collector's HTTP API (format: collector/src/http/tokens.ts).
import { openSync, closeSync, writeSync } from "node:fs";
import { ConfigError } from "@eastwest/common";
import { appendNewToken, readTokenFile, TOKEN_SCOPES, type TokenScope } from "@eastwest/collector/tokens";
import type { CliCommand, CliIo } from "../types.ts";
import { parseFlags, withConfigErrors } from "../flags.ts";

const USAGE = `usage: eastwest token new --file FILE [--scope read|write] [--name NAME] [--out FILE]
       eastwest token list --file FILE

new    makes a random 256-bit token, appends its SHA-256 line ("sha256:<hex> <scope> <name>")
       to FILE (the collector's http.tokenFile; created with mode 0600) and prints the token
       on stdout, or writes it to --out FILE (mode 0600, must not exist). A running collector
       picks the new line up within a second. The token itself is stored nowhere else.
       --scope   read: GET requests; write: POST (runs, campaigns, holds) and GET (read)
       --name    a label for logs and 'list' (token-<time>)
list   prints the name and scope of each token in FILE.

Give the token to the CLI with --token-file FILE or EASTWEST_TOKEN, to curl with
-H "Authorization: Bearer $TOKEN". Remove a token by deleting its line.
`;

const OPTIONS = { file: { type: "string" as const }, scope: { type: "string" as const }, name: { type: "string" as const }, out: { type: "string" as const } };

function create(io: CliIo, file: string, values: Record<string, unknown>): number {
  const scope = (values["scope"] as string | undefined) ?? "read";
  if (!(TOKEN_SCOPES as readonly string[]).includes(scope)) throw new ConfigError([`--scope: ${JSON.stringify(scope)} is not read or write`]);
  const name = (values["name"] as string | undefined) ?? `token-${new Date().toISOString().replace(/[-:]/g, "").slice(0, 15)}`;
  const out = values["out"] as string | undefined;
  // why: the output file first, so that a token is never added that nobody received.
  const fd = out === undefined ? undefined : openSync(out, "wx", 0o600);
  try {
    const token = appendNewToken(file, scope as TokenScope, name);
    if (fd === undefined) io.stdout(token + "\n");
    else writeSync(fd, token + "\n");
    io.stderr(`token: ${name} (${scope}) added to ${file}${out === undefined ? "" : `; the token is in ${out}`}\n`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return 0;
}

export const tokenCommand: CliCommand = {
  name: "token",
  summary: "make bearer tokens for the collector's HTTP API (hashed token file)",
  usage: USAGE,
  run: (argv, io) =>
    withConfigErrors(io, async () => {
      const { values, positionals, problems } = parseFlags(argv, OPTIONS, {}, true);
      if (values["help"]) return io.stdout(USAGE), 0;
      const [sub] = positionals;
      const file = values["file"] as string | undefined;
      if (file === undefined) problems.push("--file FILE is required (the collector's http.tokenFile)");
      if (sub !== "new" && sub !== "list") problems.push(`unknown subcommand ${JSON.stringify(sub ?? "")}: new, list`);
      if (problems.length > 0 || file === undefined) throw new ConfigError(problems);
      if (sub === "new") return create(io, file, values);
      for (const t of readTokenFile(file)) io.stdout(`${t.name}  ${t.scope}\n`);
      return 0;
    }),
};
