// Steps the scenarios share: the fault schedule's clock, waiting for an agent's data, polling /healthz.
// Waiting is on state (the ledger, /healthz answers); only the fault schedule itself is timed.
import { waitFor } from "../helpers/procs.ts";
import { ledgerOf, type Api } from "./count.ts";

/** The fault schedule's clock: resolves after ms. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

/** Resolves with the ledger's highest seq once it is above `after` for agent `id`. */
export function untilStored(api: Api, id: string, after = 0, timeoutMs = 30_000): Promise<number> {
  return waitFor(async () => {
    const h = (await ledgerOf(api, id)).highestSeq;
    return h > after ? h : undefined;
  }, timeoutMs, `agent ${id}: a batch above seq ${after} stored`);
}

/** Polls GET /healthz every 250 ms (2 s deadline each) until stop(); counts answers. */
export class HealthProbe {
  ok = 0;
  failed = 0;
  #running = true;
  readonly #done: Promise<void>;

  constructor(http: string) {
    this.#done = (async () => {
      while (this.#running) {
        try {
          const res = await fetch(`${http}/healthz`, { signal: AbortSignal.timeout(2000) });
          await res.arrayBuffer();
          if (res.ok) this.ok++;
          else this.failed++;
        } catch {
          this.failed++;
        }
        await delay(250);
      }
    })();
  }

  async stop(): Promise<{ ok: number; failed: number }> {
    this.#running = false;
    await this.#done;
    return { ok: this.ok, failed: this.failed };
  }
}
