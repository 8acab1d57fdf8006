// Waiting for the guests' agents: each guest's session at the collector, or the first guest that dies (its
// console's tail in the error), or the boot timeout.
import type { Collector } from "@eastwest/collector";
import { GuestError, type Guest } from "./qemu.ts";

const tail = (text: string, lines = 15): string => text.split("\n").slice(-lines).join("\n");

/** Seconds from each guest's QEMU start to its agent's session, in guest order. */
export async function waitForGuests(collector: Collector, guests: readonly Guest[], ids: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<number[]> {
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
    return (performance.now() - g.startedAt) / 1000;
  });
  return Promise.race([Promise.all(each), died]);
}
