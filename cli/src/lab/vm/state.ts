// A running `lab vm up`: what `lab vm run|campaign|down` need, in a JSON file beside the lab's store
// (written when the lab is up, removed by its cleanup), and what `down` checks is gone.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { RunEndpoint } from "@eastwest/collector";
import { EastwestError } from "@eastwest/common";

export interface VmLabState {
  pid: number;
  tag: string;
  api: string;
  tokenFile: string;
  client: RunEndpoint;
  server: RunEndpoint;
  serverAddress: string;
  agents: string[];
  bridge: string;
  linkPrefix: string;
  guests: Array<{ name: string; uuid: string; agentId: string; ip: string; pid: number; bootS: number | null; agentS: number | null; connectedS: number }>;
  accel: string;
  vhost: boolean;
  image: string;
  runDir: string;
  upS: number;
}

/** The state file: --state, else lab-vm.json beside the store. */
export const statePath = (values: Record<string, unknown>, storePath: string): string => resolve((values["state"] as string | undefined) ?? join(storePath, "..", "lab-vm.json"));

export function writeState(file: string, s: VmLabState): void {
  writeFileSync(file, JSON.stringify(s, null, 2) + "\n", { mode: 0o600 });
}

export function readState(file: string): VmLabState {
  if (!existsSync(file)) throw new EastwestError(`no VM lab is up (no ${file}; 'eastwest lab vm up' first, or --state FILE)`);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as VmLabState;
  } catch (err) {
    throw new EastwestError(`${file}: not a lab state file: ${(err as Error).message}`, { cause: err });
  }
}

export const removeState = (file: string): void => rmSync(file, { force: true });
