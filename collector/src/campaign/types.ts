// A campaign: a spec (endpoints, a baseline, the cells to measure, how often to repeat each), the cells it
// expands to, and the statistics and verdicts of its results. Spec and stored documents use snake_case keys
// with the unit in the suffix; endpoints and a cell's run parameters use the run API's names (RunSpec).
import type { RunEndpoint } from "../run/types.ts";
import type { Repetitions, Summary } from "./stats.ts";
import type { Manifest } from "./manifest.ts";

export type { Repetitions, Summary } from "./stats.ts";
export type { Manifest, ManifestDiff } from "./manifest.ts";

export type OnOff = "on" | "off";
/** forward: client -> server; reverse (iperf3 -R): server -> client; bidir (iperf3 --bidir): both at once. */
export type Direction = "forward" | "reverse" | "bidir";
export const QDISCS = ["fq", "fq_codel", "pfifo_fast", "noqueue", "pfifo", "sfq"] as const;
export type Qdisc = (typeof QDISCS)[number];

/** One value per axis; a cell is the baseline with some of these set. */
export interface Knobs {
  tx_checksum?: OnOff;
  tso?: OnOff;
  gso?: OnOff;
  gro?: OnOff;
  tx_nocache_copy?: OnOff;
  /** net.ipv4.tcp_congestion_control, e.g. cubic, bbr. */
  congestion?: string;
  /** Root qdisc of the run's interfaces. */
  qdisc?: Qdisc;
  /** Interface MTU, bytes (68..65535). */
  mtu?: number;
  /** iperf3 -P (1..128). */
  streams?: number;
  /** iperf3 --length, bytes; 0: iperf3's default. */
  length_bytes?: number;
  direction?: Direction;
}
export type Axis = keyof Knobs;

/** Axis order: expansion order, cell names and ids follow it. */
export const AXES = ["tx_checksum", "tso", "gso", "gro", "tx_nocache_copy", "congestion", "qdisc", "mtu", "streams", "length_bytes", "direction"] as const satisfies readonly Axis[];
/** Axes that change host state (applied as settings); the others are run parameters. */
export const SETTING_AXES = ["tx_checksum", "tso", "gso", "gro", "tx_nocache_copy", "congestion", "qdisc", "mtu"] as const satisfies readonly Axis[];
export const RUN_AXES = ["streams", "length_bytes", "direction"] as const satisfies readonly Axis[];
export type RunAxis = (typeof RUN_AXES)[number];

/** Values to try per axis. */
export type Matrix = { [A in Axis]?: Array<NonNullable<Knobs[A]>> };

/** Which end(s) of a pair a host setting is applied on. */
export type ApplyOn = "both" | "server" | "client";

export interface CampaignEndpoints {
  /** Names the pair in cell ids when a campaign has more than one; default "<server>-<client>" agent ids. */
  name: string;
  server: RunEndpoint;
  client: RunEndpoint;
  serverAddress: string;
  port: number;
}

export interface ExplicitCell {
  /** Default: derived from `set` like a matrix cell's id. */
  id?: string;
  name: string;
  set: Knobs;
  /** Default: the campaign's apply_on. */
  apply_on?: ApplyOn;
}

export interface CampaignSpec {
  name: string;
  description: string;
  endpoints: CampaignEndpoints[];
  /** The hosts' current state plus these run parameters. The baseline cell changes no setting. */
  baseline: { name: string; streams: number; length_bytes: number; direction: Direction };
  /** one_at_a_time: each axis value alone against the baseline; cartesian: every combination. */
  mode: "one_at_a_time" | "cartesian";
  matrix: Matrix;
  cells: ExplicitCell[];
  apply_on: ApplyOn;
  duration_s: number;
  sample_interval_ms: number;
  /** Profile each run's traffic (the runs' measured terms); false skips it (run spec profile: false). */
  profile: boolean;
  repetitions: Repetitions;
  /** Cap on expanded cells (baseline included, every endpoint pair counted). */
  max_cells: number;
}

/** A host setting in the shape of the agent's ApplySettings (proto Setting); values are strings there too. */
export type Setting =
  | { kind: "ethtool_feature"; target: string; name: EthtoolFeature; value: OnOff }
  | { kind: "sysctl"; target: "net.ipv4.tcp_congestion_control"; value: string }
  | { kind: "qdisc"; target: string; value: Qdisc }
  | { kind: "mtu"; target: string; value: string };

export const ETHTOOL_FEATURE = {
  tx_checksum: "tx-checksumming",
  tso: "tcp-segmentation-offload",
  gso: "generic-segmentation-offload",
  gro: "generic-receive-offload",
  tx_nocache_copy: "tx-nocache-copy",
} as const;
export type EthtoolFeature = (typeof ETHTOOL_FEATURE)[keyof typeof ETHTOOL_FEATURE];

export interface AppliedSetting {
  agentId: string;
  setting: Setting;
}

/** What a cell runs: a RunSpec without id, with direction instead of reverse. */
export interface CellRun {
  server: RunEndpoint;
  client: RunEndpoint;
  serverAddress: string;
  port: number;
  durationS: number;
  streams: number;
  lengthBytes: number;
  /** The cell's congestion control for iperf3 -C; "": the host's default (as the sysctl setting leaves it). */
  congestion: string;
  direction: Direction;
  sampleIntervalMs: number;
  /** false: the run asks for no CPU profile (absent: it does). */
  profile?: boolean;
}

export interface Cell {
  /** Stable across expansions of the same spec: "baseline", or a slug of the changes ("gro-off_gso-off"). */
  id: string;
  name: string;
  /** Index into spec.endpoints. */
  pair: number;
  /** Id of this pair's baseline cell (its own id for a baseline cell). */
  baselineId: string;
  isBaseline: boolean;
  /** The cell's values that differ from the baseline; {} for a baseline cell. */
  changes: Knobs;
  /** Host settings to apply before the cell's runs and restore after; [] for a baseline cell. */
  settings: AppliedSetting[];
  run: CellRun;
}

/** Throughput of each direction of a cell whose runs measured both (bidir), bits/s per repetition summarised. */
export interface DirectionPair {
  forward: Summary;
  reverse: Summary;
}

export interface CellResult {
  cell_id: string;
  /** Receiver throughput per repetition (iperf3_receiver_bits_per_s), bits/s. */
  samples_bits_per_s: number[];
  throughput: Summary;
  directions: DirectionPair | null;
  /** The state of the cell's agents during its runs. */
  manifests: Manifest[];
  run_ids: string[];
}

export interface CampaignResult {
  campaign_id: string;
  name: string;
  /** specDigest of the spec: campaigns compare cell by cell only when equal. */
  spec_digest: string;
  cells: CellResult[];
}
