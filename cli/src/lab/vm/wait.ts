// Waiting for the guests' agents: each guest's session at the collector, or the first guest that dies (its
// console's tail in the error), or the boot timeout.
import type { Collector } from "@eastwest/collector";
import { GuestError, type Guest } from "./qemu.ts";

const tail = (text: string, lines = 15): string => text.split("\n").slice(-lines).join("\n");

export interface GuestTimes {
  /** Seconds from QEMU's start to /init running (kernel boot). */
  bootS: number | null;
  /** Seconds from the network being up (the agent's exec) to its session at the collector. */
  agentS: number | null;
  /** Seconds from QEMU's start to the agent's session. */
  connectedS: number;
}

/** Each guest's times, in guest order. */
export async function waitForGuests(collector: Collector, guests: readonly Guest[], ids: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<GuestTimes[]> {
  const died = new Promise<never>((_, reject) => {
    signal?.addEventListener("abort", () => reject(new GuestError("interrupted while the guests booted")), { once: true });
    for (const g of guests) {
      g.child.once("exit", (code, sig) => reject(new GuestError(`guest ${g.spec.name}: qemu exited (${sig ?? code}) before its agent connected; console:\n${tail(g.console())}`)));
      g.child.once("error", (err) => reject(new GuestError(`guest ${g.spec.name}: ${err.message}`, { cause: err })));
    }
  });
  died.catch(() => undefined);
  const each = guests.map(async (g, i) => {
    try {
      await collector.sessions.waitFor(ids[i] as string, timeoutMs);
    } catch (err) {
      throw new GuestError(`guest ${g.spec.name}: its agent did not connect within ${timeoutMs / 1000} s; console:\n${tail(g.console())}`, { cause: err });
    }
    const now = performance.now();
    const s = (from: number | undefined, to: number): number | null => (from === undefined ? null : Number(((to - from) / 1000).toFixed(1)));
    return { bootS: g.marks.init === undefined ? null : s(g.startedAt, g.marks.init), agentS: s(g.marks.network, now), connectedS: Number(((now - g.startedAt) / 1000).toFixed(1)) };
  });
  return Promise.race([Promise.all(each), died]);
}
