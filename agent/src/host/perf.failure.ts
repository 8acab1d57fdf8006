// perf failure reasons, shared by the perf samplers' probes and streams and the exit-reasons collector (host/kvmstat).

/**
 * Why perf could not count, from its stderr when it failed (non-CSV text): an operator-facing reason without
 * the "unavailable: " prefix, or undefined when the text says nothing known.
 */
export function perfFailureReason(stderr: string): string | undefined {
  const paranoid = /perf_event_paranoid setting is (-?\d+)/.exec(stderr);
  if (paranoid !== null) {
    return `perf_event_paranoid is ${paranoid[1]}: system-wide counting needs CAP_PERFMON (or root) or kernel.perf_event_paranoid <= 0`;
  }
  const pmu = /Cannot find PMU `([^']+)'/.exec(stderr);
  if (pmu !== null) return `no ${pmu[1]} PMU (perf: Cannot find PMU)`;
  const tracepoint = /event syntax error: '([^']*)'[\s\S]*?unknown tracepoint/.exec(stderr);
  if (tracepoint !== null) return `tracepoint ${tracepoint[1]} not found (kvm module not loaded?)`;
  if (/can't access trace events|No permissions to read/.test(stderr)) {
    return "no permission to read tracefs events: needs root, or tracefs mounted readable (mode=755)";
  }
  const syntax = /event syntax error: '([^']*)'/.exec(stderr);
  if (syntax !== null) return `perf does not know event ${syntax[1]}`;
  if (/Permission denied|Operation not permitted|No permission to enable/.test(stderr)) {
    return "perf: permission denied (needs CAP_PERFMON or root)";
  }
  return undefined;
}
