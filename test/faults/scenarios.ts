// The fault scenarios, in the order the suite runs them: one line each.
import { agentKill } from "./agent-kill.ts";
import { collectorKill } from "./collector-kill.ts";
import { diskFull } from "./disk-full.ts";
import { fuzz } from "./fuzz.ts";
import { halfOpen } from "./half-open.ts";
import { impostor } from "./impostor.ts";
import { influxDown } from "./influx-down.ts";
import { natsKill } from "./nats-kill.ts";
import type { Scenario } from "./types.ts";

export const SCENARIOS: readonly Scenario[] = [collectorKill, agentKill, natsKill, influxDown, diskFull, fuzz, impostor, halfOpen];
