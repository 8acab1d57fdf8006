// Which commands this agent carries out, from its config's `actions` (policy.schema.ts). The dispatcher asks
// refusalOf() before it looks a handler up, so a refused command runs nothing and changes nothing.
//
// Contract: refusalOf(command, policy) is undefined when the command may run, else a Refusal whose message is
// one sentence, "refused: <what> is not allowed by actions.<key>", naming the config key that would allow it.
// Needs a key: iperf3Server and iperf3Client (traffic), hold with for_ms > 0 (hold), calibrate (calibrate),
// collectProfile (profile: it samples every process on the machine and costs a little CPU),
// applySettings (each setting against actions.settings: its kind and interface pattern or sysctl key), and
// setInterval faster than actions.minIntervalMs. Always allowed, as they change nothing on the host and make
// no load beyond the agent's own reading: watchFlows, collectExitReasons, cancel, restoreSettings (puts back
// only what this agent changed) and hold with for_ms 0 (ends a hold).
import type { Logger } from "@eastwest/common";
import type { Command, Setting } from "@eastwest/proto";
import type { ActionsConfig } from "./policy.schema.ts";

/** The Command oneof (as types.ts CommandCase; not imported from there, which imports this file). */
type CommandCase = NonNullable<Command["kind"]>;

/** A settings rule with its patterns compiled. */
export interface SettingsRule {
  kind: string;
  interfaces: readonly RegExp[];
  keys: readonly string[];
}

export interface CommandPolicy {
  readonly traffic: boolean;
  readonly hold: boolean;
  readonly calibrate: boolean;
  readonly profile: boolean;
  readonly minIntervalMs: number;
  readonly settings: readonly SettingsRule[];
}

export interface Refusal {
  /** What was refused, one entry per command kind or settings kind (e.g. "iperf3Client", "settings mtu"): logged once each. */
  kinds: string[];
  message: string;
}

/** The policy of a validated `actions` section (its patterns were checked at config load). */
export function compilePolicy(c: ActionsConfig): CommandPolicy {
  return {
    traffic: c.traffic,
    hold: c.hold,
    calibrate: c.calibrate,
    profile: c.profile,
    minIntervalMs: c.minIntervalMs,
    settings: c.settings.map((r) => ({ kind: r.kind, interfaces: (r.interfaces ?? []).map((p) => new RegExp(p)), keys: r.keys ?? [] })),
  };
}

/** Monitor-only: what an agent does without an `actions` section. */
export const MONITOR_ONLY: CommandPolicy = { traffic: false, hold: false, calibrate: false, profile: false, minIntervalMs: 100, settings: [] };

const notAllowed = (kind: string, what: string, key: string): Refusal => ({ kinds: [kind], message: `refused: ${what} is not allowed by actions.${key}` });

function settingAllowed(s: Setting, rules: readonly SettingsRule[]): boolean {
  return rules.some((r) => r.kind === s.kind && (r.kind === "sysctl" ? r.keys.includes(s.target) : r.interfaces.some((re) => re.test(s.target))));
}

/** Refused settings named in one refusal; the rest are counted. */
const MAX_LABELS = 8;

/** A peer's string as log- and message-safe text: escaped, at most `max` characters of it. */
const printable = (s: string, max: number): string => JSON.stringify(s.slice(0, max)).slice(1, -1);

/** "settings kind mtu on eth0", or "settings kind sysctl net.core.busy_poll". */
function settingLabel(s: Setting): string {
  const target = printable(s.target, 64);
  return s.kind === "sysctl" ? `settings kind sysctl ${target}` : `settings kind ${printable(s.kind, 32)} on ${target}`;
}

function settingsRefusal(settings: readonly Setting[], rules: readonly SettingsRule[]): Refusal | undefined {
  const refused = settings.filter((s) => !settingAllowed(s, rules));
  if (refused.length === 0) return undefined;
  const all = [...new Set(refused.map(settingLabel))];
  const labels = all.length > MAX_LABELS ? [...all.slice(0, MAX_LABELS), `${all.length - MAX_LABELS} more`] : all;
  const kinds = [...new Set(refused.map((s) => `settings ${printable(s.kind, 32)}`))];
  return { kinds, message: `refused: ${labels.join(", ")} ${labels.length === 1 ? "is" : "are"} not allowed by actions.settings` };
}

/** Undefined when `cmd` may run under `p`; else why not. */
export function refusalOf(cmd: CommandCase, p: CommandPolicy): Refusal | undefined {
  switch (cmd.$case) {
    case "iperf3Server":
    case "iperf3Client":
      return p.traffic ? undefined : notAllowed(cmd.$case, `command ${cmd.$case} (iperf3 traffic)`, "traffic");
    case "hold":
      return p.hold || cmd.value.forMs === 0 ? undefined : notAllowed("hold", "command hold (holding this agent's samples)", "hold");
    case "calibrate":
      return p.calibrate ? undefined : notAllowed("calibrate", "command calibrate (perf bench load)", "calibrate");
    case "collectProfile":
      return p.profile ? undefined : notAllowed("collectProfile", "command collectProfile (perf record of every process)", "profile");
    case "applySettings":
      return settingsRefusal(cmd.value.settings, p.settings);
    case "setInterval":
      return cmd.value.intervalMs >= p.minIntervalMs
        ? undefined
        : { kinds: ["setInterval"], message: `refused: setInterval to ${cmd.value.intervalMs} ms is faster than actions.minIntervalMs (${p.minIntervalMs} ms) allows` };
    case "watchFlows":
    case "collectExitReasons":
    case "cancel":
    case "restoreSettings":
      return undefined;
    default:
      return unclassified(cmd);
  }
}

/** why: a command kind added to the proto fails to compile here until it is classified above. */
function unclassified(cmd: never): Refusal {
  const kind = (cmd as { $case?: unknown }).$case;
  return { kinds: [String(kind)], message: `refused: command ${String(kind)} is not classified by this agent's actions policy` };
}

/** Counts refusals and logs the first of each kind (a peer repeating a refused command cannot flood the log). */
export class RefusalLog {
  readonly #logged = new Set<string>();
  #total = 0n;

  get total(): bigint {
    return this.#total;
  }

  note(r: Refusal, logger: Logger, context: Record<string, unknown> = {}): void {
    this.#total += 1n;
    for (const kind of r.kinds) {
      if (this.#logged.has(kind) || this.#logged.size >= 256) continue;
      this.#logged.add(kind);
      logger.warn({ ...context, kind, refusal: r.message }, "command refused by this agent's config (logged once per kind)");
    }
  }
}
