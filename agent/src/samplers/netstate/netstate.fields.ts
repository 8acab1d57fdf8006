// The bounded list of ethtool features netstate emits: each as a bool field (snake_case name)
// plus a "<name>_fixed" bool (true when the driver does not let `ethtool -K` change it).
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

export function featureField(feature: string): string {
  return feature.replace(/-/g, "_");
}

/** Every feature field name (value and _fixed), for the schema. */
export function featureFields(): string[] {
  return FEATURES.flatMap((f) => [featureField(f), `${featureField(f)}_fixed`]);
}
