// The diagnosis rules, one line each (a new rule is a file in this folder plus one line here).
import type { Rule } from "../types.ts";
import { bidirBalance } from "./bidir-balance.ts";
import { cpuContention } from "./cpu-contention.ts";
import { cpuSaturated } from "./cpu-saturated.ts";
import { cpuTerms } from "./cpu-terms.ts";
import { exits } from "./exits.ts";
import { memoryBandwidth } from "./memory-bandwidth.ts";
import { modelEfficiency } from "./model-efficiency.ts";
import { netdevAgreement } from "./netdev-agreement.ts";
import { offloads } from "./offloads.ts";
import { packetSize } from "./packet-size.ts";
import { qdiscShaper } from "./qdisc-shaper.ts";
import { retransmits } from "./retransmits.ts";
import { softirqConcentrated } from "./softirq-concentrated.ts";
import { softnetDrops } from "./softnet-drops.ts";
import { vmThread } from "./vm-thread.ts";

export const RULES: readonly Rule[] = [
  cpuSaturated,
  cpuContention,
  softirqConcentrated,
  softnetDrops,
  retransmits,
  offloads,
  cpuTerms,
  packetSize,
  qdiscShaper,
  vmThread,
  exits,
  memoryBandwidth,
  modelEfficiency,
  bidirBalance,
  netdevAgreement,
];
