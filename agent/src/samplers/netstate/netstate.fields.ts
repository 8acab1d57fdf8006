// netstate's ethtool feature fields: each feature of host/ethtool.parse.ts FEATURES as a bool field (snake_case name)
// plus a "<name>_fixed" bool (true when the driver does not let `ethtool -K` change it).
import { FEATURES } from "../../host/ethtool.parse.ts";

export function featureField(feature: string): string {
  return feature.replace(/-/g, "_");
}

/** Every feature field name (value and _fixed), for the schema. */
export function featureFields(): string[] {
  return FEATURES.flatMap((f) => [featureField(f), `${featureField(f)}_fixed`]);
}
