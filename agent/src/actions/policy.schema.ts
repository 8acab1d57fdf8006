// The agent config's `actions` section: which commands that change the host or make load this agent carries
// out (policy.ts enforces it). Everything is off by default, for role host and guest alike: an agent only
// monitors until its own config allows more. Interface patterns are JavaScript regular expressions, checked
// here at load (a bad one is a config error, exit 78); a pattern matches anywhere in the name unless anchored.
import { z } from "zod";
import { KINDS, SYSCTLS } from "./settings/settings.kinds.ts";

const pattern = z
  .string()
  .min(1)
  .max(256)
  .superRefine((s, ctx) => {
    try {
      new RegExp(s);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: `not a valid regular expression: ${err instanceof Error ? err.message : String(err)}` });
    }
  });

const settingsRule = z
  .object({
    kind: z.enum(KINDS),
    /** Interface name patterns (ethtool_feature, qdisc, mtu). */
    interfaces: z.array(pattern).min(1).max(64).optional(),
    /** Exact sysctl keys (sysctl), each one of the agent's allow-listed keys. */
    keys: z.array(z.enum(Object.keys(SYSCTLS) as [string, ...string[]])).min(1).max(64).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.kind === "sysctl") {
      if (r.keys === undefined) ctx.addIssue({ code: "custom", path: ["keys"], message: "kind sysctl needs keys (the sysctl keys it may set)" });
      if (r.interfaces !== undefined) ctx.addIssue({ code: "custom", path: ["interfaces"], message: "kind sysctl takes keys, not interfaces" });
      return;
    }
    if (r.interfaces === undefined) ctx.addIssue({ code: "custom", path: ["interfaces"], message: `kind ${r.kind} needs interfaces (patterns of the interfaces it may change)` });
    if (r.keys !== undefined) ctx.addIssue({ code: "custom", path: ["keys"], message: `kind ${r.kind} takes interfaces, not keys (keys are for sysctl)` });
  });

export const actionsSchema = z
  .object({
    /** iperf3Server, iperf3Client: traffic this agent makes or receives. */
    traffic: z.boolean(),
    /** hold with for_ms > 0: this agent's samples are held back (ending a hold is always allowed). */
    hold: z.boolean(),
    /** calibrate: perf bench loads memory bandwidth and a CPU for seconds. */
    calibrate: z.boolean(),
    /** collectProfile: perf record -e cpu-clock -a (every process on this machine, sampled) for a run's window. */
    profile: z.boolean(),
    /** setInterval below this (ms) is refused: the fastest sampling a collector may ask for. */
    minIntervalMs: z.number().int().min(10).max(3_600_000),
    /** apply_settings: each setting must match one rule (its kind and its interface or sysctl key). */
    settings: z.array(settingsRule).max(64),
  })
  .strict();

export type ActionsConfig = z.infer<typeof actionsSchema>;
export type SettingsRuleConfig = ActionsConfig["settings"][number];

/** Monitor-only: nothing that changes the host or makes load. */
export function actionsDefaults(): ActionsConfig {
  return { traffic: false, hold: false, calibrate: false, profile: false, minIntervalMs: 100, settings: [] };
}
