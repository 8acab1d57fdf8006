// `eastwest certs`: a CA, the collector's certificate and agents' certificates for gRPC mutual TLS, made with
// the system's openssl (certs/pki.ts: the files and what goes where).
import { join } from "node:path";
import { ConfigError, errorMessage } from "@eastwest/common";
import type { CliCommand, CliIo } from "../types.ts";
import { parseFlags, withConfigErrors, type OptionSpec } from "../flags.ts";
import { agentFiles, CA_CERT, CA_KEY, COLLECTOR_CERT, COLLECTOR_KEY, issueAgent, issueCollector, makeCa, PkiError } from "../certs/pki.ts";

const USAGE = `usage: eastwest certs init --out DIR [--host NAME]... [--days N] [--ca-days N]
       eastwest certs agent ID --out DIR [--days N]
       eastwest certs collector --out DIR [--host NAME]... [--days N]

Makes the certificates for gRPC mutual TLS between agents and a collector with
the system's openssl (EC P-256 keys, SHA-256; key files mode 0600).

  init    a CA and the collector's server certificate in DIR:
            DIR/${CA_CERT}          the CA certificate: the collector's --tls-ca and every
                                agent's --tls-ca (copy it to each)
            DIR/${CA_KEY}          the CA's key: stays where certificates are issued
            DIR/${COLLECTOR_CERT}   the collector's --tls-cert; SANs: each --host given
                                plus localhost, 127.0.0.1 and ::1
            DIR/${COLLECTOR_KEY}   the collector's --tls-key
          It refuses to overwrite a CA already in DIR.
  agent   an agent's client certificate from the CA in DIR (CN and SAN = ID, the
          agent's --id), overwriting an earlier one (rotation: running programs
          re-read their files):
            DIR/agent-ID.pem     the agent's --tls-cert
            DIR/agent-ID.key     the agent's --tls-key
  collector  a new collector certificate from the CA in DIR (as init makes it),
          overwriting DIR/${COLLECTOR_CERT} and DIR/${COLLECTOR_KEY} (rotation)

flags:
  --out DIR      where the CA is (agent, collector) or goes (init)
  --host NAME    (init, collector; repeatable) a DNS name or IP address agents use to reach
                 the collector
  --days N       validity of the collector's or agent's certificate (365)
  --ca-days N    (init) validity of the CA (3650)

Then, for example:
  eastwest collector --grpc-host 0.0.0.0 --tls-ca DIR/${CA_CERT} --tls-cert DIR/${COLLECTOR_CERT} --tls-key DIR/${COLLECTOR_KEY}
  eastwest agent --id ID --collector NAME:7470 --tls-ca DIR/${CA_CERT} --tls-cert DIR/agent-ID.pem --tls-key DIR/agent-ID.key
`;

const OPTIONS: OptionSpec = { out: { type: "string" }, host: { type: "string", multiple: true }, days: { type: "string" }, "ca-days": { type: "string" } };

function days(v: unknown, flag: string, dflt: number, problems: string[]): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 36_500) problems.push(`--${flag}: expected whole days from 1 to 36500, got ${JSON.stringify(v)}`);
  return n;
}

const hosts = (values: Record<string, unknown>) => (values["host"] as string[] | undefined) ?? [];

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS, {}, true);
  if (values["help"]) return io.stdout(USAGE), 0;
  const [sub, ...rest] = positionals;
  const problems: string[] = [];
  const out = values["out"] as string | undefined;
  if (!out) problems.push("--out DIR is required");
  const leafDays = days(values["days"], "days", 365, problems);
  if (sub === "init") {
    const caDays = days(values["ca-days"], "ca-days", 3650, problems);
    if (rest.length > 0) problems.push(`init takes no arguments, got ${rest.join(" ")}`);
    if (problems.length > 0) throw new ConfigError(problems);
    const dir = out as string;
    await makeCa(dir, caDays);
    await issueCollector(dir, hosts(values), leafDays);
    io.stdout(`wrote ${join(dir, CA_CERT)}, ${join(dir, CA_KEY)} (CA, ${caDays} days), ${join(dir, COLLECTOR_CERT)}, ${join(dir, COLLECTOR_KEY)} (collector, ${leafDays} days)\n`);
    return 0;
  }
  if (sub === "collector") {
    if (rest.length > 0) problems.push(`collector takes no arguments, got ${rest.join(" ")}`);
    if (problems.length > 0) throw new ConfigError(problems);
    await issueCollector(out as string, hosts(values), leafDays);
    io.stdout(`wrote ${join(out as string, COLLECTOR_CERT)}, ${join(out as string, COLLECTOR_KEY)} (collector, ${leafDays} days)\n`);
    return 0;
  }
  if (sub === "agent") {
    if (rest.length !== 1) problems.push("agent takes one argument: the agent's ID");
    if (problems.length > 0) throw new ConfigError(problems);
    const f = agentFiles(rest[0] as string);
    await issueAgent(out as string, rest[0] as string, leafDays);
    io.stdout(`wrote ${join(out as string, f.cert)}, ${join(out as string, f.key)} (agent ${rest[0]}, ${leafDays} days)\n`);
    return 0;
  }
  throw new ConfigError([sub ? `unknown subcommand ${JSON.stringify(sub)}: init, agent or collector` : "a subcommand is required: init, agent or collector"]);
}

export const certsCommand: CliCommand = {
  name: "certs",
  summary: "make a CA, the collector's and agents' certificates for gRPC mutual TLS (openssl)",
  usage: USAGE,
  run: (argv, io) =>
    withConfigErrors(io, async () => {
      try {
        return await run(argv, io);
      } catch (err) {
        if (!(err instanceof PkiError)) throw err;
        io.stderr(`eastwest certs: ${errorMessage(err)}\n`);
        return 1;
      }
    }),
};
