// `eastwest agent` re-executes itself (same pid) with the agent's V8 flags; EASTWEST_AGENT_V8_FLAGS overrides them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { killAll, start, waitFor } from "../../helpers/procs.ts";
import { AGENT_V8_FLAGS, missingAgentFlags, reexecWithAgentFlags, type Reexec } from "../../../cli/src/agent-v8.ts";

/** The argv of a live process, from /proc/<pid>/cmdline. */
function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
}

describe("agent V8 flags", () => {
  afterEach(() => killAll());

  it("the started pid itself runs with the agent's V8 flags, and without them when EASTWEST_AGENT_V8_FLAGS is empty", async () => {
    // why: no collector listens there; the agent keeps retrying, which is all this test needs of it.
    const args = ["agent", "--id", "v8", "--collector", "127.0.0.1:9", "--log-level", "warn"];
    const agent = start(args);
    const argv = await waitFor(() => {
      if (agent.child.exitCode !== null) throw new Error(`agent exited ${agent.child.exitCode}: ${agent.stderr()}`);
      const a = cmdline(agent.pid);
      return a.includes("--single-threaded") ? a : undefined;
    }, 20_000, "the re-executed agent");
    assert.deepEqual(argv.slice(1, 1 + AGENT_V8_FLAGS.length), [...AGENT_V8_FLAGS]);
    assert.deepEqual(argv.slice(-args.length), args);
    await agent.kill("SIGTERM");

    const plain = start(args, { env: { EASTWEST_AGENT_V8_FLAGS: "" } });
    const before = cmdline(plain.pid);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(plain.child.exitCode, null, plain.stderr());
    assert.deepEqual(cmdline(plain.pid), before);
    assert.ok(!before.includes("--single-threaded"));
    await plain.kill("SIGTERM");
  });

  it("adds only missing flags, keeps node's own flags and the arguments, and never loops", () => {
    assert.deepEqual(missingAgentFlags([], {}), ["--single-threaded", "--no-opt", "--max-semi-space-size=1"]);
    assert.deepEqual(missingAgentFlags(["--no-opt", "--max-semi-space-size=1", "--single-threaded"], {}), []);
    assert.deepEqual(missingAgentFlags(["--single-threaded"], {}), ["--no-opt", "--max-semi-space-size=1"]);
    assert.deepEqual(missingAgentFlags(["--no-opt"], { EASTWEST_AGENT_V8_FLAGS: " --no-opt  --max-lazy " }), ["--max-lazy"]);
    const calls: Array<{ file: string; args: readonly string[]; env: NodeJS.ProcessEnv }> = [];
    const p = (over: Partial<Reexec>): Reexec => ({
      execPath: "/n/node",
      execArgv: ["--enable-source-maps"],
      argv: ["/n/node", "/e/main.ts", "agent", "--id", "x"],
      env: { KEEP: "1" },
      execve: ((file: string, args: readonly string[], env: NodeJS.ProcessEnv) => void calls.push({ file, args, env })) as unknown as Reexec["execve"],
      ...over,
    });
    reexecWithAgentFlags(p({}));
    assert.deepEqual(calls, [{ file: "/n/node", args: ["/n/node", "--single-threaded", "--no-opt", "--max-semi-space-size=1", "--enable-source-maps", "/e/main.ts", "agent", "--id", "x"], env: { KEEP: "1", EASTWEST_AGENT_REEXEC: "1" } }]);
    reexecWithAgentFlags(p({ env: { EASTWEST_AGENT_REEXEC: "1" } }));
    reexecWithAgentFlags(p({ execArgv: [...AGENT_V8_FLAGS] }));
    reexecWithAgentFlags(p({ execve: undefined }));
    assert.equal(calls.length, 1);
  });
});
