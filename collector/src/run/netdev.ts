// The interface carrying a run on one agent, and its byte and packet rates over the window. Pure.
import type { Series } from "../store/types.ts";
import type { InterfaceChoice, InterfaceRates } from "./results.ts";
import { counterSpan, ratio, type ReadCtx, type SpanResult } from "./series.ts";
import type { Window } from "./types.ts";

const LOOPBACK = "lo";

/** True for 127.0.0.0/8, ::1 and localhost: traffic that only ever crosses lo. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.trim().toLowerCase().replace(/^\[|\]$/g, "");
  return a === "localhost" || a === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** netdev series grouped by their interface tag, in name order. */
export function byInterface(netdev: readonly Series[]): Map<string, Series[]> {
  const out = new Map<string, Series[]>();
  for (const s of [...netdev].sort((a, b) => (a.tags.interface ?? "").localeCompare(b.tags.interface ?? ""))) {
    const name = s.tags.interface;
    if (name === undefined || name === "") continue;
    out.set(name, [...(out.get(name) ?? []), s]);
  }
  return out;
}

export interface Choice {
  name: string | null;
  chosenBy: InterfaceChoice;
}

function byteDelta(series: readonly Series[], field: string, w: Window): number {
  const r = counterSpan(series, field, w);
  return "span" in r ? r.span.delta : -1;
}

/**
 * The interface to read: the one named in the spec; else lo for a loopback run; else the non-lo interface
 * with the largest `field` increase in the window (lo when it is the agent's only interface).
 */
export function chooseInterface(ifaces: Map<string, Series[]>, named: string, loopback: boolean, field: string, ctx: ReadCtx): Choice {
  const { w, warn, who } = ctx;
  const known = [...ifaces.keys()];
  if (named !== "") {
    if (ifaces.has(named)) return { name: named, chosenBy: "spec" };
    warn(`interface ${named} has no netdev series on ${who} (has: ${known.join(", ") || "none"})`);
    return { name: null, chosenBy: "none" };
  }
  if (known.length === 0) {
    warn(`no netdev series for ${who}`);
    return { name: null, chosenBy: "none" };
  }
  if (loopback && ifaces.has(LOOPBACK)) return { name: LOOPBACK, chosenBy: "loopback" };
  const candidates = known.filter((n) => n !== LOOPBACK);
  const pool = candidates.length > 0 ? candidates : known;
  let best = pool[0] as string;
  let bestDelta = byteDelta(ifaces.get(best) ?? [], field, w);
  for (const name of pool.slice(1)) {
    const d = byteDelta(ifaces.get(name) ?? [], field, w);
    if (d > bestDelta) [best, bestDelta] = [name, d];
  }
  if (bestDelta <= 0) warn(`no interface on ${who} moved bytes (${field}) in the window; reading ${best}`);
  return { name: best, chosenBy: "busiest" };
}

function spanOrWarn(r: SpanResult, warn: (s: string) => void, where: string): SpanResult {
  if ("reason" in r) warn(`${where}: ${r.reason}`);
  else if (r.span.resets > 0) warn(`${where}: counter reset ${r.span.resets} time(s) in the window; the increase is a lower bound`);
  return r;
}

/** Bytes and packets of the chosen interface in `direction` over the window, with the rates they give. */
export function interfaceRates(ifaces: Map<string, Series[]>, choice: Choice, direction: "tx" | "rx", ctx: ReadCtx): InterfaceRates {
  const { w, warn, who } = ctx;
  const out: InterfaceRates = {
    interface: choice.name,
    chosen_by: choice.chosenBy,
    direction,
    bytes: null,
    packets: null,
    rate_seconds: null,
    rate_basis: null,
    bits_per_s: null,
    packets_per_s: null,
    bytes_per_packet: null,
  };
  if (choice.name === null) return out;
  const series = ifaces.get(choice.name) ?? [];
  const where = `${who} ${choice.name}`;
  const bytes = spanOrWarn(counterSpan(series, `${direction}_bytes_total`, w), warn, where);
  const packets = spanOrWarn(counterSpan(series, `${direction}_packets_total`, w), warn, where);
  // why: the window brackets the run with idle samples, so the counter delta is the run's bytes;
  // dividing by the sample span would count the idle edges as traffic time.
  const seconds = (span: { seconds: number }) => (ctx.activeS !== undefined && ctx.activeS > 0 && ctx.activeS <= span.seconds ? ctx.activeS : span.seconds);
  if ("span" in bytes) {
    out.bytes = bytes.span;
    out.rate_seconds = seconds(bytes.span);
    out.rate_basis = out.rate_seconds === bytes.span.seconds ? "sample_span" : "iperf3_duration";
    out.bits_per_s = ratio(bytes.span.delta * 8, out.rate_seconds);
  }
  if ("span" in packets) {
    out.packets = packets.span;
    out.packets_per_s = ratio(packets.span.delta, seconds(packets.span));
  }
  if (out.bytes !== null && out.packets !== null) out.bytes_per_packet = ratio(out.bytes.delta, out.packets.delta);
  return out;
}
