// @eastwest/common: what the agent, the collector and the cli share. "@eastwest/common/telemetry" (OpenTelemetry
// self-telemetry and spans) is a separate entry point, so that a program without it loads no OpenTelemetry code.
export * from "./point.ts";
export * from "./errors.ts";
export * from "./log.ts";
export * from "./schema.ts";
export { KVM_VCPU_COUNTERS, KVM_VM_COUNTERS, KVM_VM_GAUGES, VM_THREAD_KINDS } from "./schema/vm.ts";
export * from "./config.ts";
export * from "./wire.ts";
export * from "./backoff.ts";
export * from "./sched.ts";
export * from "./process.ts";
export * from "./text.ts";
export * from "./starvation.ts";
export * from "./nats/subjects.ts";
export * from "./nats/config.ts";
export * from "./nats/security.ts";
export * from "./nats/permissions.ts";
export * from "./telemetry/config.ts";
export * from "./tls/index.ts";
