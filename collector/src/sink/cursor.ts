// A sink's durable position in the store's point log (../store/point-log.ts), kept as the record
// ("sink-cursor", name) in the ledger's file: `done` (every point up to it was handled) and `inflightTo` (the end
// of the chunk being sent; 0n: none). Saved before each chunk is sent, so after a restart the sink first resends
// exactly the chunk that was in flight (the same request: a receiver that had taken it sees the same samples
// again), then goes on. Points before `done` are never sent again.
import type { Store } from "../store/types.ts";

export interface CursorState {
  done: bigint;
  inflightTo: bigint;
}

export const CURSOR_KIND = "sink-cursor";

type Records = Pick<Store, "getRecord" | "putRecord">;

export class SinkCursor {
  readonly #store: Records;
  readonly #name: string;

  constructor(store: Records, name: string) {
    this.#store = store;
    this.#name = name;
  }

  /** The saved state; `initial` (saved first) when the sink has none yet. Rejects with StoreError. */
  async load(initial: () => Promise<bigint>): Promise<CursorState> {
    const rec = await this.#store.getRecord(CURSOR_KIND, this.#name);
    const doc = rec?.doc as { done?: unknown; inflightTo?: unknown } | undefined;
    const done = position(doc?.done);
    if (done !== undefined) return { done, inflightTo: position(doc?.inflightTo) ?? 0n };
    const state = { done: await initial(), inflightTo: 0n };
    await this.save(state);
    return state;
  }

  /** The saved `done`, without saving one; undefined when the sink has none yet. Rejects with StoreError. */
  async peek(): Promise<bigint | undefined> {
    const rec = await this.#store.getRecord(CURSOR_KIND, this.#name);
    return position((rec?.doc as { done?: unknown } | undefined)?.done);
  }

  /** One durable commit. Rejects with StoreError. */
  async save(s: CursorState): Promise<void> {
    await this.#store.putRecord(CURSOR_KIND, this.#name, { done: s.done.toString(), inflightTo: s.inflightTo.toString() });
  }
}

function position(v: unknown): bigint | undefined {
  if (typeof v !== "string" || !/^\d{1,19}$/.test(v)) return undefined;
  return BigInt(v);
}
