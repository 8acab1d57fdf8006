// A counter bumped whenever the agent changes host settings (offloads, qdisc,
// MTU, sysctls). Samplers that cache host state (netstate) re-read it when the
// generation moved, so a snapshot never shows a setting the agent has changed.
let generation = 0;

export function settingsGeneration(): number {
  return generation;
}

export function bumpSettingsGeneration(): void {
  generation += 1;
}
