// Applies one journaled entry and reads it back; a change that does not read back as asked is a failure.
import { CommandError } from "@eastwest/common";
import type { Entry } from "./settings.entry.ts";
import { readFeatures, readMtu, readQdisc, readSysctl, tool, writeSysctl, type SettingsDeps } from "./settings.host.ts";
import { ethtoolSetArgs, mtuArgs, qdiscReplaceArgs, renderFeature, renderQdisc } from "./settings.state.ts";

function mismatch(what: string, asked: string, got: string): CommandError {
  return new CommandError(`${what}: asked for ${asked}, reads back ${got}`, null, "");
}

/** `tc` says "Specified qdisc kind is unknown." when the kernel has no sch_<kind> (built in or as a module). */
function qdiscError(err: unknown, kind: string): unknown {
  if (err instanceof CommandError && /qdisc kind is unknown/i.test(`${err.message} ${err.stderr}`)) {
    const text = `qdisc ${kind} is not supported by this kernel (no sch_${kind}): ${err.stderr.trim() || err.message}`;
    return new CommandError(text, err.exitCode, err.stderr, { cause: err });
  }
  return err;
}

/** Runs the change (argument arrays only), then reads it back. Resolves with the value read back. */
export async function applyEntry(e: Entry, deps: SettingsDeps, signal?: AbortSignal): Promise<string> {
  switch (e.kind) {
    case "ethtool_feature": {
      const { iface, feature, value } = e.change;
      await tool(deps, "ethtool", ethtoolSetArgs(iface, feature, value === "on"), signal);
      const now = renderFeature(await readFeatures(deps, iface), feature);
      if (now !== value) throw mismatch(`ethtool -K ${iface} ${feature}`, value, now);
      return now;
    }
    case "sysctl": {
      if (e.module !== undefined) await tool(deps, "modprobe", [e.module], signal);
      await writeSysctl(deps, e.change.key, e.change.value);
      const now = await readSysctl(deps, e.change.key);
      if (now !== e.change.value) throw mismatch(e.change.key, e.change.value, now);
      return now;
    }
    case "qdisc": {
      const { iface, value } = e.change;
      await tool(deps, "tc", qdiscReplaceArgs(iface, value), signal).catch((err: unknown) => {
        throw qdiscError(err, value);
      });
      const now = await readQdisc(deps, iface);
      if (now?.kind !== value) throw mismatch(`root qdisc of ${iface}`, value, renderQdisc(now));
      return renderQdisc(now);
    }
    case "mtu": {
      const { iface, value } = e.change;
      await tool(deps, "ip", mtuArgs(iface, value), signal);
      const now = await readMtu(deps, iface);
      if (now !== value) throw mismatch(`mtu of ${iface}`, String(value), String(now));
      return String(now);
    }
  }
}
