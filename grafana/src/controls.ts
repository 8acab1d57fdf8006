// Template variables (host, agent, vm, run) and the run annotation shared by the dashboards.
// Variables are SHOW TAG VALUES queries; chained ones filter on the variable above them.
import { AnnotationQueryBuilder, QueryVariableBuilder, VariableRefresh, VariableSort } from "@grafana/grafana-foundation-sdk/dashboard";
import { select, tagValues, type Match } from "./influxql.ts";
import { DATASOURCE, InfluxQLBuilder } from "./target.ts";

export interface VariableOpts {
  /** Several values (and "All") may be chosen; queries match them with =~ /^$name$/ either way. */
  multi?: boolean;
  sort?: boolean;
}

/** A variable over the values of one tag of one measurement. */
export function tagVariable(name: string, label: string, from: string, key: string, where: Match[] = [], o: VariableOpts = {}): QueryVariableBuilder {
  const q = tagValues(from, key, where);
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(q)
    .definition(q)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(o.sort === false ? VariableSort.Disabled : VariableSort.AlphabeticalAsc)
    .multi(o.multi ?? false)
    .includeAll(o.multi ?? false);
}

/** Hosts (the agents' host tag), from the cpu measurement every agent writes. */
export const hostVariable = (): QueryVariableBuilder => tagVariable("host", "Host", "cpu", "host", [], { multi: true });

/** Agents on the chosen hosts. */
export const agentVariable = (): QueryVariableBuilder => tagVariable("agent", "Agent", "cpu", "agent_id", [{ tag: "host", variable: "host" }], { multi: true });

/** QEMU guests found by host agents on the chosen hosts. */
export const vmVariable = (): QueryVariableBuilder => tagVariable("vm", "VM", "vm_info", "vm", [{ tag: "host", variable: "host" }], { multi: true });

/** Correlated runs; several make a campaign's view. */
export const runVariable = (multi: boolean): QueryVariableBuilder => tagVariable("run", "Run", "run", "run_id", [], { multi, sort: false });

const RUN_TAGS = ["congestion", "direction", "server_agent_id", "client_agent_id"];

/**
 * Runs on the time axis. A run point is written at the end of the run's window (collector/src/run/points.ts),
 * so the marker is the run's end; its text is the run id, its tags the congestion control, direction and agents.
 */
export function runAnnotation(): AnnotationQueryBuilder {
  const q = select({ from: "run", cols: [{ field: "iperf3_receiver_bits_per_s" }, { field: "efficiency_pct" }], tagCols: ["run_id", ...RUN_TAGS] });
  return new AnnotationQueryBuilder()
    .name("Runs (end of window)")
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor("purple")
    .target(new InfluxQLBuilder(q).refId("Anno").annotation({ text: "run_id", tags: RUN_TAGS }));
}
