// When tcpinfo reads TCP_INFO, whichever backend reads it: at most every minIntervalMs, and, while reads for the
// configured flows find nothing, at 1 Hz or slower only every IDLE_RECHECK_MS.

/**
 * While no socket matches, look again at most this often (ms) when sampling at 1 Hz or slower; a change of the
 * flows option looks at once, and faster sampling (a run raised it) looks every tick.
 * why: every look walks the kernel's whole TCP hash table (a sock_diag dump, or /proc/net/tcp{,6} before ss).
 */
export const IDLE_RECHECK_MS = 5000n;

export interface PaceOptions {
  minIntervalMs: number;
  /** The flows as one string: the idle state is kept per flows option. */
  flowsKey: string;
}

export class ReadPacer {
  #lastNs: bigint | undefined;
  #idle: { untilNs: bigint; flows: string } | undefined;

  /** Whether a read may happen at this tick. */
  due(nowNs: bigint, intervalMs: number | undefined, o: PaceOptions): boolean {
    if (this.#lastNs !== undefined && nowNs - this.#lastNs < BigInt(o.minIntervalMs) * 1_000_000n) return false;
    const relaxed = (intervalMs ?? 1000) >= 1000;
    return !(relaxed && this.#idle !== undefined && this.#idle.flows === o.flowsKey && nowNs < this.#idle.untilNs);
  }

  /** A read happens now (it ends any idle back-off). */
  reading(nowNs: bigint): void {
    this.#lastNs = nowNs;
    this.#idle = undefined;
  }

  /** A look found no matching socket: back off for these flows. */
  nothing(nowNs: bigint, flowsKey: string): void {
    this.#idle = { untilNs: nowNs + IDLE_RECHECK_MS * 1_000_000n, flows: flowsKey };
  }
}
