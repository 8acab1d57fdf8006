// The agent's spool at start: opened on <spool.dir>/<id>/, what earlier runs left restored into the outbox
// (never-acked batches under their seqs, numbering above the highest seq the spool knows), torn tails and
// unreadable parts reported, and a spool of the earlier format (<spool.dir>/<id>.jsonl) taken as new batches.
// Contract: never throws for the spool's sake; the worst case is an agent streaming from memory, saying so.
import { join } from "node:path";
import { errorMessage, type Logger } from "@eastwest/common";
import type { AgentConfig } from "../config.ts";
import type { Outbox } from "./outbox.ts";
import { Spool } from "./spool.ts";
import { legacySpoolFile, takeSpool } from "./spool-legacy.ts";
import { defaultStateDir } from "./state-dir.ts";

/** /var/lib/eastwest/spool for root, else a per-user temp dir (as the settings journal). */
export function defaultSpoolDir(): string {
  return defaultStateDir("spool");
}

/** <spool.dir>/<id>: the directory of this agent's segments and mark. */
export function agentSpoolDir(config: AgentConfig): string {
  return join(config.spool.dir || defaultSpoolDir(), config.id);
}

/** Opens the spool and fills the (empty) outbox from it; call before the first batch is made. */
export function openSpool(config: AgentConfig, outbox: Outbox, logger: Logger): Spool {
  const dir = agentSpoolDir(config);
  const { spool, contents } = Spool.open({
    ...config.spool,
    dir,
    logger,
    onDropped: (through) => {
      const n = outbox.dropThrough(through);
      if (n > 0) logger.warn({ spool: dir, through: String(through), batches: n, maxBytes: config.spool.maxBytes }, "spool full: oldest batches dropped");
      return n;
    },
    onWritable: () => outbox.replay(),
  });
  for (const t of contents.torn) logger.warn({ spool: dir, ...t }, "spool: torn tail cut (a write the last run did not finish); the records before it are kept");
  if (contents.problems.length > 0) logger.error({ spool: dir, problems: contents.problems.slice(0, 5) }, "spool: parts unreadable, skipped");
  outbox.restore(contents.records, contents.highest, contents.confirmed);
  if (contents.records.length > 0)
    logger.info({ spool: dir, batches: contents.records.length, firstSeq: String(contents.records[0]?.seq), highest: String(contents.highest) }, "batches never acked restored from the spool; sent first, under their seqs");
  takeLegacy(config.spool.dir || defaultSpoolDir(), config.id, outbox, logger);
  return spool;
}

function takeLegacy(dir: string, id: string, outbox: Outbox, logger: Logger): void {
  const file = legacySpoolFile(dir, id);
  try {
    const legacy = takeSpool(file);
    if (legacy.problems.length > 0) logger.error({ spool: file, keptAs: legacy.keptAs, problems: legacy.problems.slice(0, 5) }, "spool lines unreadable; kept aside, the rest restored");
    for (const b of legacy.batches) outbox.add(b.points, b.createdNs);
    if (legacy.batches.length > 0) logger.info({ spool: file, batches: legacy.batches.length }, "batches of an earlier version's spool restored as new batches");
  } catch (err) {
    logger.error({ spool: file, err: errorMessage(err) }, "spool of an earlier version not readable; left in place");
  }
}
