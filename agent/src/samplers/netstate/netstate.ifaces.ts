// Which interfaces netstate looks at.
import { errorMessage } from "@eastwest/common";
import type { SampleContext } from "../types.ts";
import type { NameFilter } from "../shared/options.ts";

// why: ARPHRD_LOOPBACK (include/uapi/linux/if_arp.h).
const ARPHRD_LOOPBACK = "772";

/**
 * A name safe to pass to ethtool/tc as an argument: what dev_valid_name allows (<= 15 bytes, no '/', ':'
 * or whitespace), minus a leading '-' that a tool would read as an option.
 */
export function safeInterfaceName(name: string): boolean {
  return /^[^\s/:-][^\s/:]{0,14}$/.test(name);
}

/** The ARPHRD type of an interface, or undefined for an entry that is not one (e.g. bonding_masters). */
async function linkType(ctx: SampleContext, name: string): Promise<string | undefined> {
  try {
    return (await ctx.fs.sys(`class/net/${name}/type`)).trim();
  } catch {
    return undefined;
  }
}

/**
 * Interfaces from /sys/class/net, sorted: those matching `filter`; without a filter all non-loopback ones,
 * or the loopback ones when there is nothing else (a bare namespace).
 */
export async function listInterfaces(ctx: SampleContext, filter: NameFilter | undefined, errors: string[]): Promise<string[]> {
  let entries: string[];
  try {
    entries = (await ctx.fs.sysDir("class/net")).sort();
  } catch (err) {
    errors.push(`netstate: /sys/class/net not readable: ${errorMessage(err)}`);
    return [];
  }
  const types = await Promise.all(entries.map((n) => linkType(ctx, n)));
  const links: Array<{ name: string; loopback: boolean }> = [];
  entries.forEach((name, i) => {
    const type = types[i];
    if (type === undefined) return;
    if (!safeInterfaceName(name)) errors.push(`netstate: skipped interface name ${JSON.stringify(name)}`);
    else links.push({ name, loopback: type === ARPHRD_LOOPBACK });
  });
  if (filter !== undefined) return links.filter((l) => filter(l.name)).map((l) => l.name);
  const others = links.filter((l) => !l.loopback);
  return (others.length > 0 ? others : links).map((l) => l.name);
}
