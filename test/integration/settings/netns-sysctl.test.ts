// net.ipv4.tcp_congestion_control changed and restored inside a network namespace this test creates:
// the settings functions run in a child process under `ip netns exec` (settings-child.ts), the values are
// read with `ip netns exec NS cat`, and the host namespace's own value must never move.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { requireBinary, start, startProcess, tempDir, waitFor } from "../../helpers/procs.ts";

const NS = `ews${process.pid % 100000}`;
const CHILD = fileURLToPath(new URL("./settings-child.ts", import.meta.url));
const CC = "sys/net/ipv4/tcp_congestion_control";

function run(...args: string[]): string {
  return execFileSync(args[0] as string, args.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function nsRead(rel: string): string {
  return run("ip", "netns", "exec", NS, "cat", `/proc/${rel}`).trim();
}

/** One line of settings-child.ts: a report, an error, or (restore-pending) a list of reports. */
type Report = { error?: string; state?: string; verified?: boolean; settings?: Array<Record<string, unknown>> };
type Step = { step: string; value: Report & Array<{ token: string; state: string; verified: boolean }> };

function child(...args: string[]): Step[] {
  const out = run("ip", "netns", "exec", NS, process.execPath, CHILD, ...args);
  return out.trim().split("\n").map((l) => JSON.parse(l) as Step);
}

function removeNs(): void {
  try {
    run("ip", "netns", "del", NS);
  } catch {
    /* not there */
  }
}

describe("sysctl settings inside a network namespace (root)", function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let hostCc: string;
  let original: string;
  let target: string;
  const cell = (): string => JSON.stringify([{ kind: "sysctl", target: "net.ipv4.tcp_congestion_control", name: "", value: target }]);

  before(function () {
    requireBinary("ip");
    assert.equal(process.getuid?.(), 0, "this test needs root (ip netns)");
    removeNs();
    run("ip", "netns", "add", NS);
    dir = tempDir("settings-ns");
    hostCc = readFileSync(`/proc/${CC}`, "utf8").trim();
    original = nsRead(CC);
    const available = nsRead("sys/net/ipv4/tcp_available_congestion_control").split(/\s+/);
    target = available.find((c) => c !== original && c !== hostCc) ?? available.find((c) => c !== original) ?? "";
    assert.notEqual(target, "", `a second congestion control algorithm is available (have: ${available.join(" ")})`);
  });

  after(() => {
    removeNs();
    dir?.remove();
  });

  afterEach(() => assert.equal(readFileSync(`/proc/${CC}`, "utf8").trim(), hostCc, "the host namespace's value never moves"));

  it("applies and restores (verified) in the namespace", () => {
    const [start, applied, restored] = child("apply-restore", dir.path, cell(), "cc-1");
    assert.deepEqual(start?.value, []);
    assert.deepEqual(applied?.value.settings?.map((s) => [s["before"], s["applied"]]), [[original, target]], JSON.stringify(applied));
    assert.equal(restored?.value.verified, true, JSON.stringify(restored));
    assert.deepEqual(restored?.value.settings?.map((s) => s["restored"]), [original]);
    assert.equal(nsRead(CC), original);
  });

  it("a crashed process's change is restored by the next one at start", () => {
    const [, applied] = child("apply", dir.path, cell(), "cc-2");
    assert.equal(applied?.value.error, undefined, JSON.stringify(applied));
    assert.equal(nsRead(CC), target, "left changed by the process that exited without restoring");
    const [pending] = child("restore-pending", dir.path);
    assert.deepEqual(pending?.value.map((r) => [r.token, r.state, r.verified]), [["cc-2", "restored", true]]);
    assert.equal(nsRead(CC), original);
  });

  it("an agent started with EASTWEST_SETTINGS_JOURNAL_DIR restores, at start, a change journaled there", async () => {
    const [, applied] = child("apply", dir.path, cell(), "cc-4");
    assert.equal(applied?.value.error, undefined, JSON.stringify(applied));
    assert.equal(nsRead(CC), target);
    // why: no collector is listening there; the agent restores before it connects, and keeps retrying after.
    const agent = start(["agent", "--id", "journal-dir-test", "--collector", "127.0.0.1:9", "--role", "guest", "--log-level", "info"], {
      prefix: ["ip", "netns", "exec", NS],
      env: { EASTWEST_SETTINGS_JOURNAL_DIR: dir.path },
    });
    try {
      await waitFor(() => {
        if (agent.child.exitCode !== null) throw new Error(`agent exited ${agent.child.exitCode}: ${agent.stderr().slice(-2000)}`);
        // why: the value comes back before the agent's log line about it reaches the pipe: wait for both.
        return nsRead(CC) === original && /cc-4/.test(agent.stdout() + agent.stderr()) ? true : undefined;
      }, 30_000, "the agent to restore the journaled change and log its token");
    } finally {
      await agent.kill("SIGTERM");
    }
    assert.match(agent.stdout() + agent.stderr(), /cc-4/, "the agent logs the token it restored");
  });

  it("Ctrl-C: restoreAll (the agent's stop()) puts the value back", async () => {
    const p = startProcess("ip", ["netns", "exec", NS, process.execPath, CHILD, "apply-wait", dir.path, cell(), "cc-3"]);
    await waitFor(() => (p.stdout().includes('"step":"apply"') ? true : undefined), 20_000, "the apply step");
    assert.equal(nsRead(CC), target);
    process.kill(p.pid, "SIGINT");
    assert.equal(await p.exited, 0, p.stderr());
    assert.match(p.stdout(), /"step":"restore-all","value":\[\{"token":"cc-3","state":"restored","verified":true/);
    assert.equal(nsRead(CC), original);
  });

  it("refuses a global sysctl that does not exist in the namespace, before changing anything", () => {
    const busy = JSON.stringify([{ kind: "sysctl", target: "net.core.busy_poll", name: "", value: "50" }]);
    const [, applied] = child("apply", dir.path, busy, "busy-1");
    assert.match(applied?.value.error ?? "", /net\.core\.busy_poll in this network namespace \(global sysctls such as net\.core\.busy_poll exist only in the initial one\)/);
  });
});
