// `eastwest nats-auth`: nkeys and the nats-server account for agents and collectors (common/src/nats/permissions.ts).
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { agentPermissions, collectorPermissions, ConfigError, DEFAULT_CONSUMER, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, renderAccount, type AccountUser } from "@eastwest/common";
import { newUserNkey, publicKeyOfSeed } from "@eastwest/collector";
import type { CliCommand, CliIo } from "../types.ts";
import { parseFlags, withConfigErrors } from "../flags.ts";

const USAGE = `usage: eastwest nats-auth --out DIR [--agent ID]... [--collector ID]... [flags]

Makes an nkey for each agent and collector named that has none yet
(DIR/agents/<ID>.nk, DIR/collectors/<ID>.nk, mode 0600; existing keys are
kept), then writes DIR/eastwest-accounts.conf for nats-server from every key
under DIR: one account with JetStream, where each agent may publish only its
own batches and hellos and read only its own commands and replies, and each
collector may use its stream, consumer, hellos and commands. Include it from
the server's configuration (deploy/nats/nats.conf):  accounts { include ./eastwest-accounts.conf }
Give each program its key file as nats.nkeySeedFile.

  --out DIR              where keys and the account file go (required)
  --agent ID             an agent id (repeatable)
  --collector ID         a collector id (repeatable)
  --account NAME         account name (EASTWEST)
  --subject-prefix P     subject prefix (${DEFAULT_SUBJECT_PREFIX})
  --stream NAME          JetStream stream (${DEFAULT_STREAM})
  --consumer NAME        durable consumer (${DEFAULT_CONSUMER})
`;

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const ACCOUNT_FILE = "eastwest-accounts.conf";

interface Options {
  out: string;
  agents: string[];
  collectors: string[];
  account: string;
  names: { subjectPrefix: string; stream: string; consumer: string };
}

function options(argv: string[]): Options {
  const many = { type: "string", multiple: true } as const;
  const { values } = parseFlags(argv, { out: { type: "string" }, agent: many, collector: many, account: { type: "string" }, "subject-prefix": { type: "string" }, stream: { type: "string" }, consumer: { type: "string" } }, {});
  const v = values as Record<string, string | string[] | boolean | undefined>;
  const list = (k: string): string[] => (Array.isArray(v[k]) ? (v[k] as string[]) : []);
  const str = (k: string, d: string): string => (typeof v[k] === "string" ? (v[k] as string) : d);
  const o: Options = { out: str("out", ""), agents: list("agent"), collectors: list("collector"), account: str("account", "EASTWEST"), names: { subjectPrefix: str("subject-prefix", DEFAULT_SUBJECT_PREFIX), stream: str("stream", DEFAULT_STREAM), consumer: str("consumer", DEFAULT_CONSUMER) } };
  const problems = [o.out === "" ? "--out: required" : "", ...[...o.agents, ...o.collectors].filter((id) => !ID.test(id)).map((id) => `${JSON.stringify(id)}: ids are letters, digits and . _ : - (max 128)`)];
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.account)) problems.push("--account: letters, digits, _ and -");
  if (problems.some((p) => p !== "")) throw new ConfigError(problems.filter((p) => p !== ""));
  return o;
}

/** Writes a new seed for id unless it has one; true when it made one. Temp file + rename, so a key is whole or absent. */
function ensureSeed(dir: string, id: string): boolean {
  const file = join(dir, `${id}.nk`);
  if (existsSync(file)) return false;
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${newUserNkey().seed}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return true;
}

/** Every key under dir as [id, public key], sorted by id. */
function keysIn(dir: string): Array<[string, string]> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".nk"))
    .sort()
    .map((f) => {
      const id = f.slice(0, -3);
      try {
        return [id, publicKeyOfSeed(readFileSync(join(dir, f), "utf8"))];
      } catch (err) {
        throw new ConfigError([`${join(dir, f)}: ${(err as Error).message}`]);
      }
    });
}

function generate(o: Options, io: CliIo): number {
  const dirs = { agents: join(o.out, "agents"), collectors: join(o.out, "collectors") };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true, mode: 0o700 });
  for (const id of o.agents) if (ensureSeed(dirs.agents, id)) io.stdout(`new key: ${join(dirs.agents, `${id}.nk`)}\n`);
  for (const id of o.collectors) if (ensureSeed(dirs.collectors, id)) io.stdout(`new key: ${join(dirs.collectors, `${id}.nk`)}\n`);
  const users: AccountUser[] = [
    ...keysIn(dirs.agents).map(([id, nkey]): AccountUser => ({ label: `agent ${id}`, identity: { nkey }, permissions: agentPermissions(o.names.subjectPrefix, id) })),
    ...keysIn(dirs.collectors).map(([id, nkey]): AccountUser => ({ label: `collector ${id}`, identity: { nkey }, permissions: collectorPermissions(o.names, id) })),
  ];
  const header = `# Written by eastwest nats-auth (subject prefix ${o.names.subjectPrefix}, stream ${o.names.stream}, consumer ${o.names.consumer}); re-run it rather than edit.\n`;
  const file = join(o.out, ACCOUNT_FILE);
  writeFileSync(`${file}.tmp`, header + renderAccount(o.account, users));
  renameSync(`${file}.tmp`, file);
  io.stdout(`${file}: account ${o.account}, ${users.length} users\n`);
  return 0;
}

export const natsAuthCommand: CliCommand = {
  name: "nats-auth",
  summary: "make nkeys and the nats-server account (per-agent permissions) for agents and collectors",
  usage: USAGE,
  run: (argv, io) =>
    withConfigErrors(io, async () => {
      if (argv.includes("--help") || argv.includes("-h")) return io.stdout(USAGE), 0;
      return generate(options(argv), io);
    }),
};
