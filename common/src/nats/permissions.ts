// The NATS authorization eastwest needs, as nats-server configuration text: one account (JetStream enabled)
// whose users are the agents and collectors, each with the subjects it may use (subjects.ts):
//
//   agent A (token T)  publish   <prefix>.batch.*.*.T, <prefix>.hello.*.*.T
//                      subscribe <prefix>.cmd.*.*.T.*, <prefix>.inbox.T.>   (its commands, one subject per collector;
//                                                                          its replies and PubAcks)
//                      replies   to the requests it received (allow_responses: command results)
//   collector C        publish   <prefix>.cmd.*.*.*.C (commands as itself only; <prefix>.cmd.> when C is not
//                                given), the JetStream API of its stream and consumer, acks
//                      subscribe <prefix>.hello.>, _INBOX.>            (hellos; its replies and pulled batches)
//                      replies   to the requests it received (allow_responses: Welcomes)
//
// So an agent can neither publish as another agent nor read another agent's commands or replies; the server
// refuses it with a permissions violation. Site and host are wildcards: an agent's identity is its id.
// renderAccount() is pure; the keys and files are made by `eastwest nats-auth`.
import { tokenOf } from "./subjects.ts";

/** How a user proves who it is: an nkey (public key in the server config, seed with the client) or a password. */
export type NatsIdentity = { nkey: string } | { user: string; password: string };

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

export interface AccountNames {
  subjectPrefix: string;
  stream: string;
  consumer: string;
}

export function agentPermissions(prefix: string, agentId: string): NatsPermissions {
  const t = tokenOf(agentId);
  return { publish: [`${prefix}.batch.*.*.${t}`, `${prefix}.hello.*.*.${t}`], subscribe: [`${prefix}.cmd.*.*.${t}.*`, `${prefix}.inbox.${t}.>`] };
}

/**
 * A collector's permissions. With its id, it may send commands only on its own command subjects, so the collector
 * token an agent reads from a command's subject (nats.collectors) is the sender's.
 */
export function collectorPermissions(n: AccountNames, collectorId?: string): NatsPermissions {
  const { stream: s, consumer: c } = n;
  const api = [
    "$JS.API.INFO",
    ...["INFO", "CREATE", "UPDATE", "MSG.GET"].map((op) => `$JS.API.STREAM.${op}.${s}`),
    `$JS.API.DIRECT.GET.${s}.>`,
    ...["INFO", "CREATE", "DURABLE.CREATE", "MSG.NEXT"].map((op) => `$JS.API.CONSUMER.${op}.${s}.${c}`),
    `$JS.API.CONSUMER.CREATE.${s}.${c}.>`,
    `$JS.ACK.${s}.${c}.>`,
  ];
  const commands = collectorId === undefined ? `${n.subjectPrefix}.cmd.>` : `${n.subjectPrefix}.cmd.*.*.*.${tokenOf(collectorId)}`;
  return { publish: [commands, ...api], subscribe: [`${n.subjectPrefix}.hello.>`, "_INBOX.>"] };
}

export interface AccountUser {
  /** What the comment above the entry says: "agent ns1", "collector c1". */
  label: string;
  identity: NatsIdentity;
  permissions: NatsPermissions;
}

const q = (s: string): string => JSON.stringify(s);
const list = (xs: string[]): string => `[${xs.map(q).join(", ")}]`;

function renderUser(u: AccountUser): string {
  const id = "nkey" in u.identity ? `nkey: ${q(u.identity.nkey)}` : `user: ${q(u.identity.user)}, password: ${q(u.identity.password)}`;
  const p = u.permissions;
  return [
    `      # ${u.label.replace(/[\r\n]/g, " ")}`,
    `      { ${id}`,
    `        permissions: { publish: { allow: ${list(p.publish)} }, subscribe: { allow: ${list(p.subscribe)} }, allow_responses: true } }`,
  ].join("\n");
}

/** One account block `<name> { jetstream: enabled, users: [...] }`, for inside the server's `accounts { }`. */
export function renderAccount(name: string, users: readonly AccountUser[]): string {
  return [`${name} {`, "    jetstream: enabled", "    users: [", ...users.map(renderUser), "    ]", "}", ""].join("\n");
}
