// tcp: TCP, UDP and IP stack counters of the agent's network namespace (/proc/net/snmp, /proc/net/netstat).
import type { FieldValue, Sample } from "@eastwest/common";
import { SeriesMemory, type CounterSeries } from "../shared/series.ts";
import { TagCache } from "../shared/tags.ts";
import { capturedText, readTime } from "../shared/sources.ts";
import { addSeriesRates, procTableSampler, type SeriesRates } from "../shared/proc-table.ts";
import type { SnmpWanted } from "./tcp.parse.ts";
import { SnmpFile, Selector } from "./tcp.values.ts";
import { IP_FIELDS, RATES, TCP_FIELDS, UDP_FIELDS, type Selection } from "./tcp.fields.ts";

interface Measurement {
  name: "tcp" | "udp" | "ip";
  selection: Selection;
  /** Per selection entry: "Group.Name", for the missing-counter report. */
  counters: string[];
  /** [selection position, rate field]. */
  rates: SeriesRates;
}

function measurement(name: Measurement["name"], selection: Selection): Measurement {
  const at = (field: string): number => selection.findIndex(([, , f]) => f === field);
  return { name, selection, counters: selection.map(([g, n]) => `${g}.${n}`), rates: RATES[name].map(([counter, field]) => [at(counter), field] as const) };
}

const MEASUREMENTS: readonly Measurement[] = [measurement("tcp", TCP_FIELDS), measurement("udp", UDP_FIELDS), measurement("ip", IP_FIELDS)];
/** Every measurement's selection, one after another. */
const SELECTED: Selection = MEASUREMENTS.flatMap((m) => m.selection);
const RETRANS = TCP_FIELDS.findIndex(([, , f]) => f === "retrans_segs_total");
const OUT_SEGS = TCP_FIELDS.findIndex(([, , f]) => f === "out_segs_total");

const WANTED: SnmpWanted = (() => {
  const out = new Map<string, Set<string>>();
  for (const { selection } of MEASUREMENTS) for (const [group, name] of selection) out.set(group, (out.get(group) ?? new Set()).add(name));
  return out;
})();

function ratioPct(s: CounterSeries, part: number, whole: number): number | undefined {
  const p = s.deltas[part];
  const w = s.deltas[whole];
  return !s.hasInterval || p === undefined || w === undefined || w === 0n ? undefined : (Number(p) * 100) / Number(w);
}

function fieldsOf(m: Measurement, s: CounterSeries, values: ReadonlyArray<bigint | undefined>): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  for (let j = 0; j < values.length; j++) if (values[j] !== undefined) fields[m.selection[j]?.[2] as string] = values[j] as bigint;
  addSeriesRates(fields, s, m.rates);
  if (m.name === "tcp") {
    const pct = ratioPct(s, RETRANS, OUT_SEGS);
    if (pct !== undefined) fields["retrans_segs_pct"] = pct;
  }
  return fields;
}

export const tcpSampler = procTableSampler({
  name: "tcp",
  files: ["net/snmp", "net/netstat"],
  decoder() {
    // why: MIB counters are `unsigned long` (64-bit on 64-bit kernels); on a 32-bit kernel a wrap reads as a reset (rate skipped).
    const memories = MEASUREMENTS.map((m) => new SeriesMemory(64, m.selection.length));
    const tags = new TagCache();
    const reported = new Set<string>();
    const snmp = new SnmpFile("/proc/net/snmp", WANTED);
    const netstat = new SnmpFile("/proc/net/netstat", WANTED);
    const selector = new Selector(SELECTED);
    const selected: Array<bigint | undefined> = [];
    return (c, ctx) => {
      const readNs = readTime(c, ctx);
      const snmpValues = snmp.read(capturedText(c, 0));
      const netstatValues = netstat.read(capturedText(c, 1));
      const points: Sample[] = [];
      const errors = [...snmpValues.errors, ...netstatValues.errors];
      selector.select([snmpValues, netstatValues], selected);
      let offset = 0;
      for (const [k, m] of MEASUREMENTS.entries()) {
        const memory = memories[k] as SeriesMemory;
        const s = memory.get(m.name);
        const values = s.values;
        let missing: string[] | undefined;
        for (let j = 0; j < m.selection.length; j++) {
          const v = selected[offset + j];
          if (v === undefined) (missing ??= []).push(m.counters[j] as string);
          // why: counters must be >= 0 to be emitted as uint (Tcp MaxConn is -1).
          else if (v >= 0n) values[j] = v;
        }
        memory.step(s, readNs);
        const fields = fieldsOf(m, s, values);
        if (Object.keys(fields).length > 0) points.push({ measurement: m.name, tags: tags.bare(ctx), fields, timeNs: ctx.nowNs });
        // why: counters differ by kernel version (e.g. TCPDelivered since 4.18); say so once, not every tick.
        for (const counter of missing ?? []) {
          if (reported.has(counter)) continue;
          errors.push(`tcp: ${counter} not provided by this kernel`);
          reported.add(counter);
        }
        memory.sweep();
        offset += m.selection.length;
      }
      return { points, errors };
    };
  },
});
