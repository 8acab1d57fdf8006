// The sampler registry: one line per sampler.
import type { SamplerFactory } from "./types.ts";
import { cpuSampler } from "./cpu/cpu.sampler.ts";
import { netdevSampler } from "./netdev/netdev.sampler.ts";
import { tcpSampler } from "./tcp/tcp.sampler.ts";
import { softirqsSampler } from "./softirqs/softirqs.sampler.ts";
import { softnetSampler } from "./softnet/softnet.sampler.ts";
import { tcpinfoSampler } from "./tcpinfo/tcpinfo.sampler.ts";
import { netstateSampler } from "./netstate/netstate.sampler.ts";
import { pmuSampler } from "./pmu/pmu.sampler.ts";
import { kvmexitsSampler } from "./kvmexits/kvmexits.sampler.ts";
import { membwSampler } from "./membw/membw.sampler.ts";
import { vmSampler } from "./vm/vm.sampler.ts";

export const SAMPLERS: Readonly<Record<string, SamplerFactory>> = {
  cpu: cpuSampler,
  netdev: netdevSampler,
  tcp: tcpSampler,
  softirqs: softirqsSampler,
  softnet: softnetSampler,
  tcpinfo: tcpinfoSampler,
  netstate: netstateSampler,
  pmu: pmuSampler,
  kvmexits: kvmexitsSampler,
  membw: membwSampler,
  vm: vmSampler,
};
