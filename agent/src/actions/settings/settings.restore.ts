// Returns journaled entries to their before state, newest first, then verifies each by reading it back.
// A failing step is recorded on its entry and the others still run: a restore never stops half way.
import { errorMessage } from "@eastwest/common";
import { ifaceOf, reportOf, restorableQdisc, type Entry, type SettingReport } from "./settings.entry.ts";
import {
  readFeatures, readInterfaces, readMtu, readQdisc, readSysctl, tool, writeSysctl, type SettingsDeps,
} from "./settings.host.ts";
import {
  ethtoolSetArgs, featureDiff, groupOf, mtuArgs, qdiscDeleteArgs, qdiscReplaceArgs, renderFeature, renderQdisc, sameQdisc,
  subFeatureFixArgs,
} from "./settings.state.ts";

/** Runs the undo of one entry when its target differs from the before state. */
async function undo(e: Entry, deps: SettingsDeps): Promise<void> {
  switch (e.kind) {
    case "ethtool_feature": {
      const { iface, feature } = e.change;
      const now = await readFeatures(deps, iface);
      const differs = featureDiff(e.before, now).some((n) => groupOf(e.before, feature).includes(n));
      const was = e.before[feature];
      if (differs && was !== undefined) await tool(deps, "ethtool", ethtoolSetArgs(iface, feature, was.on));
      return;
    }
    case "sysctl":
      if ((await readSysctl(deps, e.change.key)) !== e.before) await writeSysctl(deps, e.change.key, e.before);
      return;
    case "qdisc":
      return undoQdisc(e, deps);
    case "mtu":
      if ((await readMtu(deps, e.change.iface)) !== e.before) await tool(deps, "ip", mtuArgs(e.change.iface, e.before));
      return;
  }
}

async function undoQdisc(e: Extract<Entry, { kind: "qdisc" }>, deps: SettingsDeps): Promise<void> {
  const iface = e.change.iface;
  const now = await readQdisc(deps, iface);
  if (sameQdisc(now, e.before)) return;
  if (e.before === null || e.before.isDefault) {
    // why: the kernel default (noqueue on veth, pfifo_fast or mq with per-queue children on multiqueue NICs)
    // comes back only through a delete; a replace would pin a tc-owned copy with a new handle.
    if (now !== null && !now.isDefault) await tool(deps, "tc", qdiscDeleteArgs(iface));
    return;
  }
  if (!restorableQdisc(e.before.kind)) throw new Error(`root qdisc ${e.before.kind} of ${iface} is not allow-listed; not re-created`);
  await tool(deps, "tc", qdiscReplaceArgs(iface, e.before.kind));
}

/** Kernel sub-features the aggregate undo left different (e.g. one the operator had switched alone). */
async function fixSubFeatures(entries: readonly Entry[], deps: SettingsDeps, errors: Map<Entry, string>): Promise<void> {
  const done = new Set<string>();
  for (const e of entries) {
    if (e.kind !== "ethtool_feature" || done.has(e.change.iface) || errors.has(e)) continue;
    done.add(e.change.iface);
    try {
      const args = subFeatureFixArgs(e.change.iface, e.before, await readFeatures(deps, e.change.iface));
      if (args !== undefined) await tool(deps, "ethtool", args);
    } catch (err) {
      errors.set(e, `fixing sub-features: ${errorMessage(err)}`);
    }
  }
}

type Check = { restored: string; verified: boolean; detail?: string };

async function check(e: Entry, deps: SettingsDeps): Promise<Check> {
  switch (e.kind) {
    case "ethtool_feature": {
      const now = await readFeatures(deps, e.change.iface);
      const diff = featureDiff(e.before, now);
      const detail = diff.map((n) => `${n}: ${renderFeature(e.before, n)} -> ${renderFeature(now, n)}`).join(", ");
      return { restored: renderFeature(now, e.change.feature), verified: diff.length === 0, ...(detail ? { detail: `ethtool -k differs: ${detail}` } : {}) };
    }
    case "sysctl": {
      const now = await readSysctl(deps, e.change.key);
      return { restored: now, verified: now === e.before };
    }
    case "qdisc": {
      const now = await readQdisc(deps, e.change.iface);
      const verified = sameQdisc(now, e.before);
      const detail = verified ? undefined : `tc shows ${JSON.stringify(now)}, snapshot ${JSON.stringify(e.before)}`;
      return { restored: renderQdisc(now), verified, ...(detail ? { detail } : {}) };
    }
    case "mtu": {
      const now = await readMtu(deps, e.change.iface);
      return { restored: String(now), verified: now === e.before };
    }
  }
}

/** Unloads the module an apply loaded; a module still in use stays (noted, not a verification failure). */
async function unloadModule(e: Entry, deps: SettingsDeps): Promise<string | undefined> {
  if (e.kind !== "sysctl" || e.module === undefined) return undefined;
  try {
    await tool(deps, "modprobe", ["-r", e.module]);
    return `module ${e.module} unloaded`;
  } catch (err) {
    return `module ${e.module} left loaded: ${errorMessage(err)}`;
  }
}

async function verify(e: Entry, applied: string | undefined, error: string | undefined, deps: SettingsDeps, present: Set<string> | Error): Promise<SettingReport> {
  const base = reportOf(e, applied);
  const iface = ifaceOf(e);
  if (iface !== undefined && !(present instanceof Error) && !present.has(iface)) {
    return { ...base, restored: "gone", verified: true, detail: `interface ${iface} no longer exists; nothing to restore` };
  }
  try {
    const c = await check(e, deps);
    const notes = [error && `restore step failed: ${error}`, c.detail, c.verified ? await unloadModule(e, deps) : undefined].filter((s) => s);
    return { ...base, restored: c.restored, verified: c.verified, ...(notes.length > 0 ? { detail: notes.join("; ") } : {}) };
  } catch (err) {
    return { ...base, verified: false, detail: [error && `restore step failed: ${error}`, `read-back failed: ${errorMessage(err)}`].filter((s) => s).join("; ") };
  }
}

async function listPresent(deps: SettingsDeps): Promise<Set<string> | Error> {
  try {
    return await readInterfaces(deps);
  } catch (err) {
    return new Error(errorMessage(err));
  }
}

/** Restores `entries` (applied[i]: what entry i read back after its apply) and verifies them; never throws. */
export async function restoreEntries(entries: readonly Entry[], applied: ReadonlyArray<string | undefined>, deps: SettingsDeps): Promise<SettingReport[]> {
  const present = await listPresent(deps);
  const gone = (e: Entry): boolean => !(present instanceof Error) && ifaceOf(e) !== undefined && !present.has(ifaceOf(e) as string);
  const errors = new Map<Entry, string>();
  for (const e of [...entries].reverse()) {
    if (gone(e)) continue;
    try {
      await undo(e, deps);
    } catch (err) {
      errors.set(e, errorMessage(err));
    }
  }
  await fixSubFeatures(entries.filter((e) => !gone(e)), deps, errors);
  const reports: SettingReport[] = [];
  for (const [i, e] of entries.entries()) reports.push(await verify(e, applied[i], errors.get(e), deps, present));
  return reports;
}
