// Registers the commands answered by the agent's own sampling: setInterval, hold, calibrate.
import { on } from "../registry.ts";

on("setInterval", async ({ sampler, intervalMs, forMs }, deps) => {
  if (intervalMs < 10 || intervalMs > 3_600_000) throw new Error(`interval_ms ${intervalMs} out of range 10..3600000`);
  const changed = deps.scheduler?.setInterval(sampler, intervalMs, forMs) ?? 0;
  if (changed === 0) throw new Error(`no sampler named ${JSON.stringify(sampler)}`);
  return { changed };
});
on("hold", async ({ forMs }, deps) => {
  if (deps.scheduler === undefined) throw new Error("no samplers are running");
  const st = deps.scheduler.hold(forMs);
  return { holding: st.holding, held_ticks: st.heldTicks, held_bytes: st.heldBytes };
});
on("calibrate", async (_value, deps) => deps.calibrate());
