// Where the vm sampler leaves the exits it counted (QMP query-stats or debugfs, per guest), for the kvmexits sampler
// to compare with what the kvm:kvm_exit tracepoint counted over the same time. One per agent process (the samplers'
// registry builds each sampler once); tests pass their own.

/** What the vm sampler has counted so far. */
export interface VmExitSnapshot {
  /** Sum of every guest's exits increase since the board was made. */
  exits: bigint;
  /** Time of the last vm tick that added to it (Unix ns); undefined before the first. */
  atNs: bigint | undefined;
  /** vm ticks in which a KVM guest had no counters (unavailable) or guests were not followed (maxVms): its sum misses exits. */
  gaps: number;
  /** KVM guests whose exits the last vm tick counted. */
  guests: number;
}

export class ExitBoard {
  #exits = 0n;
  #atNs: bigint | undefined;
  #gaps = 0;
  #guests = 0;

  /** One vm tick: the exits its guests added, how many KVM guests had counters, and whether any was missed. */
  vmTick(nowNs: bigint, increase: bigint, guests: number, missed: boolean): void {
    this.#exits += increase;
    this.#atNs = nowNs;
    this.#guests = guests;
    if (missed) this.#gaps++;
  }

  snapshot(): VmExitSnapshot {
    return { exits: this.#exits, atNs: this.#atNs, gaps: this.#gaps, guests: this.#guests };
  }
}

/** The agent's board. */
export const EXIT_BOARD = new ExitBoard();
