// Expansion of a validated campaign spec into cells: per endpoint pair, the baseline first, then the matrix
// (axis by axis, values in the order given), then the explicit cells in the order given. Pure and
// deterministic: the same spec always gives the same cells with the same ids.
import type { Setting as WireSetting } from "@eastwest/proto";
import { AXES, ETHTOOL_FEATURE, RUN_AXES, SETTING_AXES } from "./types.ts";
import type { AppliedSetting, ApplyOn, Axis, CampaignEndpoints, CampaignSpec, Cell, Knobs, Setting } from "./types.ts";

export const BASELINE_ID = "baseline";

const LABEL: Record<Axis, string> = {
  tx_checksum: "tx checksum",
  tso: "TSO",
  gso: "GSO",
  gro: "GRO",
  tx_nocache_copy: "tx-nocache-copy",
  congestion: "cc",
  qdisc: "qdisc",
  mtu: "MTU",
  streams: "streams",
  length_bytes: "length",
  direction: "direction",
};

function entries(k: Knobs): Array<[Axis, string | number]> {
  return AXES.flatMap((a) => (k[a] === undefined ? [] : [[a, k[a]] as [Axis, string | number]]));
}

/** Id of a set of changes: "baseline" for none, else "<axis>-<value>" in axis order joined by "_" (e.g. "gro-off_gso-off"). */
export function changesSlug(k: Knobs): string {
  const parts = entries(k).map(([a, v]) => `${a}-${v}`.replace(/_/g, "-"));
  return parts.length === 0 ? BASELINE_ID : parts.join("_");
}

/** Display name of a set of changes, e.g. "GRO off, cc bbr". */
export function changesName(k: Knobs): string {
  return entries(k).map(([a, v]) => `${LABEL[a]} ${v}`).join(", ");
}

/** The changes without run parameters equal to the baseline's (they change nothing). */
export function normalizeChanges(spec: CampaignSpec, k: Knobs): Knobs {
  const out: Knobs = { ...k };
  for (const a of RUN_AXES) if (out[a] === spec.baseline[a]) delete out[a];
  return out;
}

function cartesian(spec: CampaignSpec): Knobs[] {
  let combos: Knobs[] = [{}];
  for (const a of AXES) {
    const values = spec.matrix[a];
    if (!values || values.length === 0) continue;
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [a]: v })));
  }
  return combos;
}

function oneAtATime(spec: CampaignSpec): Knobs[] {
  return AXES.flatMap((a) => (spec.matrix[a] ?? []).map((v) => ({ [a]: v }) as Knobs));
}

/** The matrix's cells of one pair as changes, baseline-equal combinations left out. */
export function matrixChanges(spec: CampaignSpec): Knobs[] {
  const raw = spec.mode === "cartesian" ? cartesian(spec) : oneAtATime(spec);
  return raw.map((k) => normalizeChanges(spec, k)).filter((k) => entries(k).length > 0);
}

/** Cells the spec expands to, baselines included, without expanding (a cartesian matrix may be huge). */
export function cellCount(spec: CampaignSpec): number {
  const lengths = AXES.map((a) => spec.matrix[a]?.length ?? 0).filter((n) => n > 0);
  // Run-parameter axes listing the baseline's own value: that value alone is no cell.
  const baseHits = RUN_AXES.filter((a) => (spec.matrix[a] as unknown[] | undefined)?.includes(spec.baseline[a])).length;
  let matrix = 0;
  if (spec.mode === "one_at_a_time") matrix = lengths.reduce((s, n) => s + n, 0) - baseHits;
  else if (lengths.length > 0) matrix = lengths.reduce((p, n) => p * n, 1) - (baseHits === lengths.length ? 1 : 0);
  return (1 + matrix + spec.cells.length) * spec.endpoints.length;
}

function settingsOf(k: Knobs, iface: string): Setting[] {
  const out: Setting[] = [];
  for (const a of SETTING_AXES) {
    const v = k[a];
    if (v === undefined) continue;
    if (a === "congestion") out.push({ kind: "sysctl", target: "net.ipv4.tcp_congestion_control", value: String(v) });
    else if (a === "qdisc") out.push({ kind: "qdisc", target: iface, value: k.qdisc! });
    else if (a === "mtu") out.push({ kind: "mtu", target: iface, value: String(v) });
    else out.push({ kind: "ethtool_feature", target: iface, name: ETHTOOL_FEATURE[a], value: k[a]! });
  }
  return out;
}

/** Host settings of a cell on the chosen ends of a pair, server first; the same agent and target only once. */
export function cellSettings(pair: CampaignEndpoints, k: Knobs, on: ApplyOn): AppliedSetting[] {
  const ends = on === "both" ? [pair.server, pair.client] : on === "server" ? [pair.server] : [pair.client];
  const seen = new Set<string>();
  const out: AppliedSetting[] = [];
  for (const end of ends) {
    for (const setting of settingsOf(k, end.interface)) {
      const key = JSON.stringify([end.agentId, setting.kind, setting.target, "name" in setting ? setting.name : ""]);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ agentId: end.agentId, setting });
    }
  }
  return out;
}

function makeCell(spec: CampaignSpec, pair: number, id: string, name: string, changes: Knobs, on: ApplyOn): Cell {
  const ep = spec.endpoints[pair]!;
  const prefix = spec.endpoints.length > 1 ? `${ep.name}.` : "";
  return {
    id: prefix + id,
    name,
    pair,
    baselineId: prefix + BASELINE_ID,
    isBaseline: id === BASELINE_ID,
    changes,
    settings: cellSettings(ep, changes, on),
    run: {
      server: ep.server,
      client: ep.client,
      serverAddress: ep.serverAddress,
      port: ep.port,
      durationS: spec.duration_s,
      streams: changes.streams ?? spec.baseline.streams,
      lengthBytes: changes.length_bytes ?? spec.baseline.length_bytes,
      congestion: changes.congestion ?? "",
      direction: changes.direction ?? spec.baseline.direction,
      sampleIntervalMs: spec.sample_interval_ms,
      ...(spec.profile === false ? { profile: false } : {}),
    },
  };
}

/** Every cell of a validated spec (parseCampaignSpec): per pair, baseline, matrix cells, explicit cells. */
export function expandCells(spec: CampaignSpec): Cell[] {
  const matrix = matrixChanges(spec);
  return spec.endpoints.flatMap((_, p) => [
    makeCell(spec, p, BASELINE_ID, spec.baseline.name, {}, spec.apply_on),
    ...matrix.map((k) => makeCell(spec, p, changesSlug(k), changesName(k), k, spec.apply_on)),
    ...spec.cells.map((c) => {
      const k = normalizeChanges(spec, c.set);
      return makeCell(spec, p, c.id ?? changesSlug(k), c.name, k, c.apply_on ?? spec.apply_on);
    }),
  ]);
}

/** A cell's settings grouped per agent (one ApplySettings each), in first-appearance order. */
export function settingsByAgent(cell: Cell): Array<{ agentId: string; settings: Setting[] }> {
  const groups = new Map<string, Setting[]>();
  for (const s of cell.settings) groups.set(s.agentId, [...(groups.get(s.agentId) ?? []), s.setting]);
  return [...groups].map(([agentId, settings]) => ({ agentId, settings }));
}

/** The wire form of a setting (proto Setting: name "" unless an ethtool feature). */
export function toWireSetting(s: Setting): WireSetting {
  return { kind: s.kind, target: s.target, name: s.kind === "ethtool_feature" ? s.name : "", value: s.value };
}
