// Pure parser of `ethtool -k <iface>`, and the bounded list of offload features eastwest reads (netstate emits each
// as fields) and may change (settings' ethtool_feature allow-list).
import { ParseError } from "@eastwest/common";
import { excerpt, lines } from "./text.ts";

/** Features by ethtool's own names; netstate's fields are these with "-" -> "_". */
export const FEATURES = [
  "rx-checksumming",
  "tx-checksumming",
  "scatter-gather",
  "tcp-segmentation-offload",
  "generic-segmentation-offload",
  "generic-receive-offload",
  "large-receive-offload",
  "rx-gro-hw",
  "rx-gro-list",
  "rx-udp-gro-forwarding",
  "tx-udp-segmentation",
  "tx-nocache-copy",
] as const;

export interface Feature {
  on: boolean;
  /** "[fixed]": the driver does not allow changing it (ethtool -K refuses). */
  fixed: boolean;
  /** "[requested on]" / "[requested off]": the user asked for a different state than the device gives. */
  requested?: boolean;
}

export interface Features {
  features: Map<string, Feature>;
  errors: string[];
}

const FEATURE_LINE = /^\s*([a-z0-9][a-z0-9_-]*):\s+(on|off)(?:\s+\[(fixed|requested on|requested off)\])?\s*$/;

/** All "name: on|off [fixed]" lines, sub-features (tab-indented) included, by their own names. */
export function parseEthtoolFeatures(text: string, source = "ethtool -k"): Features {
  const out: Features = { features: new Map(), errors: [] };
  for (const line of lines(text)) {
    if (line.startsWith("Features for ")) continue;
    const m = FEATURE_LINE.exec(line);
    if (m === null) {
      out.errors.push(`${source}: unexpected line ${excerpt(line)}`);
      continue;
    }
    const feature: Feature = { on: m[2] === "on", fixed: m[3] === "fixed" };
    if (m[3]?.startsWith("requested")) feature.requested = m[3] === "requested on";
    out.features.set(m[1] as string, feature);
  }
  if (out.features.size === 0) throw new ParseError(source, `no "feature: on|off" lines${out.errors.length > 0 ? ` (${out.errors[0]})` : ""}`);
  return out;
}
