// The snapshot journal: one JSON file per pending token, written (atomically, fsync'd) before the first
// change and removed after a verified restore, so an agent restarted after a crash can restore.
// Layout: <journalDir>/<netns tag>/<sha256(token), 32 hex>.json — a sysctl or interface belongs to one
// network namespace, and only an agent in that namespace can restore it. The token itself is inside.
import { createHash } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "@eastwest/common";
import type { Setting } from "@eastwest/proto";
import { QDISCS, SYSCTLS, TOKEN, describe } from "./settings.kinds.ts";
import type { Entry } from "./settings.entry.ts";
import { parseSettings } from "./settings.validate.ts";

export const JOURNAL_VERSION = 1;

export interface JournalDoc {
  version: typeof JOURNAL_VERSION;
  token: string;
  /** The agent process that applied; a live one other than the reader keeps its journal. */
  pid: number;
  /** /proc/sys/kernel/random/boot_id: after a reboot every setting is back to its boot value. */
  bootId: string;
  /** e.g. "net:[4026531840]". */
  netns: string;
  createdMs: number;
  entries: Entry[];
}

/** "net:[4026531840]" -> "net-4026531840" (a directory name). */
export function netnsTag(netns: string): string {
  const inode = /\[(\d+)\]/.exec(netns)?.[1];
  return inode === undefined ? "net-unknown" : `net-${inode}`;
}

/** why hashed: a campaign token ("<uuid>:<pair>.<cell id>") can outgrow a file name (255 bytes). */
export function journalFileName(token: string): string {
  return `${createHash("sha256").update(token).digest("hex").slice(0, 32)}.json`;
}

/** Writes <dir>/<journalFileName(token)> via a temporary file, fsync and rename. Resolves with the path. */
export async function writeJournal(dir: string, doc: JournalDoc): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, journalFileName(doc.token));
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(doc)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  return path;
}

export async function removeJournal(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
}

/** Entry problems: the change must pass the allow-list again and the before values must be restorable. */
function entryProblems(e: Entry, i: number): string[] {
  const setting: Setting = describe(e.change);
  const problems = parseSettings({ token: "journal", settings: [setting] }).problems.map((p) => `entries[${i}]: ${p}`);
  if (e.kind === "sysctl" && (typeof e.before !== "string" || SYSCTLS[e.change.key]?.check(e.before) !== undefined)) problems.push(`entries[${i}].before: bad value`);
  if (e.kind === "sysctl" && e.module !== undefined && e.module !== `tcp_${e.change.value}`) problems.push(`entries[${i}].module: expected tcp_${e.change.value}`);
  if (e.kind === "mtu" && !Number.isInteger(e.before)) problems.push(`entries[${i}].before: bad MTU`);
  const qdisc = e.kind === "qdisc" ? e.before : null;
  if (qdisc !== null && !qdisc.isDefault && !(QDISCS as readonly string[]).includes(qdisc.kind)) problems.push(`entries[${i}].before: bad qdisc`);
  if (e.kind === "ethtool_feature" && (typeof e.before !== "object" || e.before === null)) problems.push(`entries[${i}].before: bad features`);
  return problems;
}

/** A parsed journal file; throws with every problem when it is not one this agent wrote. */
export function parseJournal(text: string, source: string): JournalDoc {
  const doc = JSON.parse(text) as Partial<JournalDoc>;
  const problems: string[] = [];
  if (doc.version !== JOURNAL_VERSION) problems.push(`version: expected ${JOURNAL_VERSION}`);
  if (typeof doc.token !== "string" || !TOKEN.test(doc.token)) problems.push("token: bad");
  if (!Number.isInteger(doc.pid) || typeof doc.bootId !== "string" || !Array.isArray(doc.entries)) problems.push("pid, bootId, entries: missing");
  else doc.entries.forEach((e, i) => problems.push(...entryProblems(e, i)));
  if (problems.length > 0) throw new Error(`${source}: not a settings journal: ${problems.join("; ")}`);
  return doc as JournalDoc;
}

export type JournalFile = { path: string; doc: JournalDoc } | { path: string; error: string };

/** Every journal (*.json) in `dir`, sorted by file name (none when the directory does not exist). */
export async function listJournals(dir: string): Promise<JournalFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const out: JournalFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      out.push({ path, doc: parseJournal(await readFile(path, "utf8"), path) });
    } catch (err) {
      out.push({ path, error: errorMessage(err) });
    }
  }
  return out;
}
