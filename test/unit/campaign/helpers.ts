// Scaffolding for campaign tests: fixture specs, a minimal spec, synthetic samples and manifests.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@eastwest/common";
import type { Manifest } from "../../../collector/src/campaign/manifest.ts";

const FIXTURES = fileURLToPath(new URL("../../fixtures/campaign/", import.meta.url));

export function fixture(name: string): string {
  return readFileSync(FIXTURES + name, "utf8");
}

/** A valid YAML spec with one pair; `extra` lines are appended at top level. */
export function yamlSpec(extra = ""): string {
  return [
    "name: t",
    "endpoints:",
    "  - server: { agentId: srv, interface: eth1 }",
    "    client: { agentId: cli, interface: eth0 }",
    "    serverAddress: 10.0.0.2",
    extra,
  ].join("\n");
}

/** The problems of a ConfigError thrown by `f`; fails when `f` does not throw one. */
export function problemsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

/** n samples around `mean` with a fixed relative spread pattern (deterministic, zero-mean offsets). */
export function around(mean: number, spreadPct: number, n: number): number[] {
  const pattern = [0, 1, -1, 0.5, -0.5, 0.8, -0.8, 0.2, -0.2, 0.3, -0.3, 0];
  return Array.from({ length: n }, (_, i) => mean * (1 + ((pattern[i % pattern.length] as number) * spreadPct) / 100));
}

export function manifest(agent: string, over: Partial<Manifest> = {}): Manifest {
  return {
    agent_id: agent,
    agent_version: "0.1.0",
    kernel: "6.1.0-28-amd64",
    qemu_version: "7.2.15",
    iperf3_version: "iperf 3.12",
    cpu_model: "Intel(R) Xeon(R) CPU E5-1620 v4 @ 3.50GHz",
    congestion: "cubic",
    offloads: { eth0: { "tx-checksumming": true, "generic-receive-offload": true } },
    qdisc: { eth0: "fq_codel" },
    mtu: { eth0: 1500 },
    ...over,
  };
}
