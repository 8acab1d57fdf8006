// The NATS subject scheme, shared by agents and collectors.
//
//   <prefix>.batch.<site>.<host>.<agent>   JetStream-published Batch (protobuf),
//                                          header Nats-Msg-Id "<agent_id>:<seq>",
//                                          header Eastwest-Epoch: the session epoch of the agent's Welcome
//   <prefix>.hello.<site>.<host>.<agent>   request: Hello; reply: CollectorMessage (welcome | error)
//   <prefix>.cmd.<site>.<host>.<agent>.<collector>
//                                          request: Command from that collector; reply: CommandResult
//                                          (served by the agent, for the collectors its config names)
//   <prefix>.inbox.<agent>.>               the agent's reply inbox (hello replies, JetStream PubAcks), so
//                                          that a server can let each agent read its own replies only
//
// prefix defaults to "eastwest.v1". Each of site, host and agent is one token
// made by tokenOf(): letters, digits and "-" stay; every other byte becomes
// "_" and two hex digits ("ns1.lab" -> "ns1_2elab"). The mapping is
// injective, so a subject names exactly one agent id even though agent ids
// may contain "." and ":".

export const DEFAULT_SUBJECT_PREFIX = "eastwest.v1";
export const DEFAULT_STREAM = "EASTWEST_BATCHES";
export const DEFAULT_CONSUMER = "eastwest-collectors";

/** One subject token for an arbitrary string; "" maps to "_". */
export function tokenOf(s: string): string {
  if (s === "") return "_";
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(c) ? c : `_${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

export interface SubjectParts {
  prefix: string;
  site: string;
  host: string;
  agentId: string;
}

function subject(kind: "batch" | "hello" | "cmd", p: SubjectParts): string {
  return `${p.prefix}.${kind}.${tokenOf(p.site)}.${tokenOf(p.host)}.${tokenOf(p.agentId)}`;
}

export const batchSubject = (p: SubjectParts): string => subject("batch", p);
export const helloSubject = (p: SubjectParts): string => subject("hello", p);
export const commandSubject = (p: SubjectParts): string => subject("cmd", p);

/** The inbox prefix of an agent's connection (ConnectionOptions.inboxPrefix). */
export const inboxPrefixOf = (prefix: string, agentId: string): string => `${prefix}.inbox.${tokenOf(agentId)}`;

/** Every batch subject: what the stream captures. */
export const batchWildcard = (prefix: string): string => `${prefix}.batch.>`;
/** Every hello subject: what collectors answer. */
export const helloWildcard = (prefix: string): string => `${prefix}.hello.>`;
/** Every batch subject of one agent, whatever its site and host. */
export const agentBatchFilter = (prefix: string, agentId: string): string => `${prefix}.batch.*.*.${tokenOf(agentId)}`;

/** The last token of a hello or batch subject: the agent's token. */
export function agentTokenOf(subj: string): string {
  return subj.slice(subj.lastIndexOf(".") + 1);
}

/** A hello subject's command subject (same site, host and agent tokens). */
export function commandSubjectOf(helloSubj: string, prefix: string): string {
  return `${prefix}.cmd.${helloSubj.slice(`${prefix}.hello.`.length)}`;
}

/** One collector's command subject for an agent: the agent's command subject and the collector's token. */
export const collectorCommandSubject = (cmdSubj: string, collectorId: string): string => `${cmdSubj}.${tokenOf(collectorId)}`;

/** The string tokenOf() made `token` from; undefined when no string gives it. */
export function idOfToken(token: string): string | undefined {
  if (token === "_") return "";
  if (!/^(?:[A-Za-z0-9-]|_[0-9a-f]{2})+$/.test(token)) return undefined;
  const bytes = Buffer.from(token.replace(/_([0-9a-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1");
  const id = bytes.toString("utf8");
  return tokenOf(id) === token ? id : undefined;
}

/** The JetStream dedup id of a batch. */
export const msgIdOf = (agentId: string, seq: bigint): string => `${agentId}:${seq}`;

/** The header carrying a batch's session epoch (decimal), from the Welcome the agent was given. */
export const EPOCH_HEADER = "Eastwest-Epoch";

/** The epoch in an Eastwest-Epoch header value; undefined when it is not a decimal uint64 >= 1. */
export function parseEpoch(v: string): bigint | undefined {
  if (!/^[1-9][0-9]{0,19}$/.test(v)) return undefined;
  const e = BigInt(v);
  return e <= 0xffff_ffff_ffff_ffffn ? e : undefined;
}

/** The seq in a Nats-Msg-Id of agentId; undefined when it is not one of that agent's ids. */
export function seqOfMsgId(msgId: string, agentId: string): bigint | undefined {
  if (!msgId.startsWith(`${agentId}:`)) return undefined;
  const rest = msgId.slice(agentId.length + 1);
  return /^[0-9]{1,20}$/.test(rest) ? BigInt(rest) : undefined;
}
