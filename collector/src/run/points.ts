// A run's results as store points: one `run`, one `run_endpoint` per end, one `cost_breakdown`
// (common/src/schema/runs.ts). Pure: the time is the window's end unless the caller gives one.
import type { Sample } from "@eastwest/common";
import { breakdownSample } from "../model/sample.ts";
import { CPU_FIELDS, type EndpointResults, type RunResults } from "./results.ts";

type Fields = Record<string, number>;

/** Sets name only for a finite number: points omit the figures a run does not have. */
function put(fields: Fields, name: string, v: number | null | undefined): void {
  if (typeof v === "number" && Number.isFinite(v)) fields[name] = v;
}

function runSample(r: RunResults, timeNs: bigint): Sample {
  const f: Fields = {};
  const tp = r.throughput;
  put(f, "duration_s", r.iperf3.duration_s);
  put(f, "window_s", r.window_s);
  put(f, "streams", r.iperf3.streams);
  put(f, "length_bytes", r.iperf3.length_bytes);
  put(f, "iperf3_receiver_bits_per_s", tp.iperf3_receiver_bits_per_s);
  put(f, "iperf3_sender_bits_per_s", tp.iperf3_sender_bits_per_s);
  put(f, "iperf3_retransmits", r.retransmits.iperf3);
  put(f, "netdev_sender_bits_per_s", tp.netdev_sender_bits_per_s);
  put(f, "netdev_receiver_bits_per_s", tp.netdev_receiver_bits_per_s);
  put(f, "sender_agreement", tp.sender_agreement);
  put(f, "receiver_agreement", tp.receiver_agreement);
  put(f, "sender_retrans_segs", r.retransmits.sender_retrans_segs);
  put(f, "ceiling_gbit_s", r.model.ceiling.max_gbit_s);
  put(f, "efficiency_pct", r.model.efficiency === null ? null : r.model.efficiency * 100);
  put(f, "warning_count", r.warnings.length);
  return {
    measurement: "run",
    tags: {
      run_id: r.run_id,
      server_agent_id: r.server.agent_id,
      client_agent_id: r.client.agent_id,
      direction: r.direction,
      protocol: r.iperf3.protocol,
      congestion: r.iperf3.sender_congestion ?? "",
      model_version: r.model.model_version,
    },
    fields: f,
    timeNs,
  };
}

function endpointSample(r: RunResults, e: EndpointResults, timeNs: bigint): Sample {
  const f: Fields = {};
  const n = e.netdev;
  put(f, "netdev_bits_per_s", n.bits_per_s);
  put(f, "netdev_packets_per_s", n.packets_per_s);
  put(f, "netdev_bytes_per_packet", n.bytes_per_packet);
  put(f, "netdev_bytes", n.bytes?.delta);
  put(f, "netdev_packets", n.packets?.delta);
  put(f, "netdev_span_s", n.bytes?.seconds);
  put(f, "netdev_rate_s", n.rate_seconds);
  for (const c of CPU_FIELDS) put(f, c, e.cpu[c]);
  put(f, "retrans_segs", e.retrans_segs?.delta);
  put(f, "iperf3_cpu_pct", e.side === "server" ? r.iperf3.server_cpu_pct : r.iperf3.client_cpu_pct);
  return {
    measurement: "run_endpoint",
    tags: { run_id: r.run_id, agent_id: e.agent_id, host: e.host, side: e.side, role: e.role, interface: n.interface ?? "" },
    fields: f,
    timeNs,
  };
}

/**
 * The run's points at timeNs (default: the window's end). The cost_breakdown point is tagged with the data
 * receiver's agent, where the reference throughput is measured; vm is "" (a run is not one VM's window).
 */
export function runPoints(r: RunResults, timeNs: bigint = r.window.toNs): Sample[] {
  const receiver = r.sender === "server" ? r.client : r.server;
  const tags = { agent_id: receiver.agent_id, host: receiver.host, vm: "", run_id: r.run_id };
  return [runSample(r, timeNs), endpointSample(r, r.server, timeNs), endpointSample(r, r.client, timeNs), breakdownSample(r.model.breakdown, tags, timeNs)];
}
