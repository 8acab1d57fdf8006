// A collector whose store's disk fills up, with real agents: hellos are still
// answered with a Welcome while the disk is full, and once it is freed every
// batch the agent made is stored (no gap, nothing dropped) within a bound.
// The disk is a small tmpfs the test mounts and unmounts (needs root).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getJson, jsonLine, killAll, requireBinary, start, tempDir, waitFor } from "../../helpers/procs.ts";
import { fill } from "../../helpers/disk.ts";

/** The bound on draining the backlog once the disk is free (the store retries a full disk every 5 s). */
const RECOVERY_MS = 20_000;

interface AgentDetail {
  agent: { highestSeq: number };
  gaps: Array<{ from: number; to: number }>;
}
interface Latest {
  rows: Array<{ timeNs: string | number; fields: Record<string, unknown> }>;
}

function agentConfig(dir: string, id: string, grpcPort: number): string {
  const file = join(dir, `${id}.yaml`);
  const lines = ["agent:", `  id: ${id}`, "  intervalMs: 100", "  scheduling: normal", `  collector: { address: "127.0.0.1:${grpcPort}", backoffMinMs: 50, backoffMaxMs: 500 }`];
  writeFileSync(file, [...lines, "  batch: { maxPoints: 200, maxDelayMs: 50 }", "  samplers:", "    netstate: { enabled: false }", "    tcpinfo: { enabled: false }", ""].join("\n"));
  return file;
}

describe("collector store: disk full, then freed", function () {
  this.timeout(90_000);
  let dir: ReturnType<typeof tempDir>;
  let mnt: string;
  let mounted = false;

  beforeEach(() => {
    requireBinary("mount");
    dir = tempDir("disk-full");
    mnt = join(dir.path, "mnt");
    mkdirSync(mnt);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m,mode=0700", "eastwest-test", mnt]);
    mounted = true;
  });
  afterEach(async () => {
    await killAll();
    if (mounted) execFileSync("umount", [mnt]);
    mounted = false;
    rmSync(dir.path, { recursive: true, force: true });
  });

  it("answers hellos while full; once freed, every batch of the agent is stored within the bound", async () => {
    const collector = start(["collector", "--grpc-port", "0", "--http-port", "0", "--data", join(mnt, "eastwest.db"), "--log-level", "warn"]);
    const ports = await jsonLine<{ grpc_port: number; http_port: number }>(collector);
    const api = `http://127.0.0.1:${ports.http_port}`;
    const detail = (id: string) => getJson<AgentDetail>(`${api}/api/v1/agents/${id}`);
    start(["agent", "--config", agentConfig(dir.path, "filler", ports.grpc_port), "--log-level", "warn"]);
    await waitFor(async () => ((await detail("filler")).agent.highestSeq >= 2 ? true : undefined), 30_000, "the agent's first batches stored");

    const filled = fill(join(mnt, "ballast"));
    await waitFor(() => (/disk full/.test(collector.stderr()) ? true : undefined), 30_000, "the store reporting a full disk");
    const late = start(["agent", "--config", agentConfig(dir.path, "late", ports.grpc_port), "--log-level", "info"]);
    await waitFor(() => (/connected to collector/.test(late.stderr()) ? true : undefined), 20_000, "a Welcome for an agent that says hello while the disk is full");
    const stuckAt = (await detail("filler")).agent.highestSeq;

    rmSync(join(mnt, "ballast"));
    const freedNs = BigInt(Date.now()) * 1_000_000n;
    const freedAt = Date.now();
    const drained = await waitFor(async () => {
      const [d, latest] = await Promise.all([detail("filler"), getJson<Latest>(`${api}/api/v1/latest?measurement=eastwest_agent&agent_id=filler`)]);
      const self = latest.rows[0];
      if (!self || BigInt(self.timeNs) <= freedNs || Number(self.fields["buffered_batches"]) > 2) return undefined;
      return d.gaps.length === 0 ? { d, self } : undefined;
    }, RECOVERY_MS + 10_000, "the agent's backlog stored after the disk was freed");
    const recoveryMs = Date.now() - freedAt;
    assert.ok(filled > 0);
    assert.ok(recoveryMs <= RECOVERY_MS, `backlog stored ${recoveryMs} ms after the disk was freed`);
    assert.ok(drained.d.agent.highestSeq > stuckAt, `stored on past seq ${stuckAt}`);
    assert.equal(Number(drained.self.fields["dropped_batches_total"]), 0, "the agent dropped nothing");
    await waitFor(async () => ((await detail("late")).agent.highestSeq >= 1 ? true : undefined), RECOVERY_MS, "the late agent's batches stored");
    assert.deepEqual((await detail("late")).gaps, []);
  });
});
