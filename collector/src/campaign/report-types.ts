// The campaign report's input: everything the HTML page shows, already computed. Self-contained on purpose:
// the campaign store maps onto it; the renderer does no statistics and no model arithmetic beyond scaling.
// Units are in the names (Gbit/s, microseconds, nanoseconds since the Unix epoch).

/** inconclusive: too few repetitions, or the interval of the difference too wide to rule out a practical change. */
export type Verdict = "baseline" | "same" | "better" | "worse" | "unbalanced" | "inconclusive";

/** Throughput of one direction of a cell over its n repetitions. */
export interface ThroughputStats {
  n: number;
  meanGbitS: number;
  stddevGbitS: number;
  /** Confidence interval of the mean; null when n < 2 (no interval). */
  ciLowGbitS: number | null;
  ciHighGbitS: number | null;
  /** One value per repetition kept in the statistics. */
  samplesGbitS: number[];
  /** Repetitions excluded from the statistics as outliers; drawn hollow, never hidden. */
  outliersGbitS: number[];
}

/** Per-packet time by model term, microseconds. copies + syscalls + exits = the model's time for this cell. */
export interface BreakdownUs {
  copies: number;
  syscalls: number;
  exits: number;
  /** measured - model; negative when the cell ran faster than the model allows. */
  unexplained: number;
  /** 1 / measured packets per second; null when the run gave no packet rate. */
  measuredPerPacketUs: number | null;
  modelPerPacketUs: number;
}

export interface ReportCell {
  /** Stable id, unique within the campaign; carried as data-cell on every mark of the cell. */
  id: string;
  /** Row label, e.g. "checksum offload off". */
  name: string;
  /** Human summary of the settings applied, e.g. "tx-checksumming off". */
  settings: string;
  throughput: ThroughputStats;
  /** The reverse direction, for bidirectional or reverse cells. */
  reverseThroughput?: ThroughputStats;
  verdict: { verdict: Verdict; deltaPct: number | null; reason: string };
  breakdownUs: BreakdownUs;
  /** Per 64 KiB packet, sender + receiver; null where the source was unavailable. */
  perPacket: { exits: number | null; cpuUs: number | null };
  runIds: string[];
  /** The cell's findings against the baseline's (explain.ts); absent for a baseline or a campaign without findings. */
  explanation?: { status: string; text: string };
}

export interface ReportInput {
  campaign: {
    id: string;
    name: string;
    startedNs: bigint;
    finishedNs: bigint;
    /** Host facts (kernel, iperf3 version, CPU model, ...); shown as a key/value table, values stringified. */
    manifest: Record<string, unknown>;
  };
  /** The model's single-stream ceiling, Gbit/s (67.2 with the study's constants). */
  ceilingGbitS: number;
  modelVersion: string;
  /** Why no cell has VM exits per packet (e.g. "no VM with KVM exit counters carries this run"); absent when unknown. */
  exitsReason?: string;
  /** Bytes per packet the per-packet figures refer to; 65,536 when absent. */
  packetBytes?: number;
  cells: ReportCell[];
  /** The campaign diagnosis at the top: its summary line and one line per baseline; absent without findings. */
  diagnosis?: { summary: string; baselines: Array<{ id: string; text: string }> };
}
