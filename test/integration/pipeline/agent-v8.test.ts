// `eastwest agent` re-executes itself (same pid) with the agent's V8 flags and malloc settings;
// EASTWEST_AGENT_V8_FLAGS overrides the flags, an operator's own malloc variable wins, and the agent takes the
// variables it added out of its environment once started, so the tools it runs do not inherit them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { killAll, start, waitFor } from "../../helpers/procs.ts";
import { AGENT_MALLOC_ENV, AGENT_V8_FLAGS, dropAgentMallocEnv, MALLOC_MARK, missingAgentFlags, reexecWithAgentFlags, type Reexec } from "../../../cli/src/agent-v8.ts";

/** The argv of a live process, from /proc/<pid>/cmdline. */
function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
}

/** The environment a live process was started (or re-executed) with, from /proc/<pid>/environ. */
function environ(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
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
    const env = environ(agent.pid);
    assert.equal(env["MALLOC_MMAP_THRESHOLD_"], AGENT_MALLOC_ENV["MALLOC_MMAP_THRESHOLD_"]);
    assert.equal(env[MALLOC_MARK], "MALLOC_MMAP_THRESHOLD_");
    await agent.kill("SIGTERM");

    const own = start(args, { env: { MALLOC_MMAP_THRESHOLD_: "131072" } });
    await waitFor(() => (cmdline(own.pid).includes("--single-threaded") ? true : undefined), 20_000, "the re-executed agent");
    assert.equal(environ(own.pid)["MALLOC_MMAP_THRESHOLD_"], "131072", "the operator's value wins");
    assert.equal(environ(own.pid)[MALLOC_MARK], undefined);
    await own.kill("SIGTERM");

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
    const malloc = { MALLOC_MMAP_THRESHOLD_: "32768", [MALLOC_MARK]: "MALLOC_MMAP_THRESHOLD_" };
    assert.deepEqual(calls, [{ file: "/n/node", args: ["/n/node", "--single-threaded", "--no-opt", "--max-semi-space-size=1", "--enable-source-maps", "/e/main.ts", "agent", "--id", "x"], env: { KEEP: "1", ...malloc, EASTWEST_AGENT_REEXEC: "1" } }]);
    const reexecuted: NodeJS.ProcessEnv = { KEEP: "1", ...malloc, EASTWEST_AGENT_REEXEC: "1" };
    reexecWithAgentFlags(p({ env: reexecuted }));
    assert.deepEqual(reexecuted, { KEEP: "1", EASTWEST_AGENT_REEXEC: "1" }, "the added malloc variables are taken out once started");
    reexecWithAgentFlags(p({ execArgv: [...AGENT_V8_FLAGS], env: { MALLOC_MMAP_THRESHOLD_: "131072" } }));
    reexecWithAgentFlags(p({ execve: undefined }));
    assert.equal(calls.length, 1);
    reexecWithAgentFlags(p({ execArgv: [...AGENT_V8_FLAGS] }));
    assert.deepEqual(calls[1]?.args, ["/n/node", ...AGENT_V8_FLAGS, "/e/main.ts", "agent", "--id", "x"], "the flags were there: re-executed for the malloc setting alone");
    assert.deepEqual(calls[1]?.env, { KEEP: "1", ...malloc, EASTWEST_AGENT_REEXEC: "1" });
  });

  it("takes out only the variables it added, an operator's own stay (and reach the tools the agent runs)", () => {
    const env: NodeJS.ProcessEnv = { MALLOC_MMAP_THRESHOLD_: "32768", [MALLOC_MARK]: "MALLOC_MMAP_THRESHOLD_,PATH", PATH: "/bin" };
    dropAgentMallocEnv(env);
    assert.deepEqual(env, { PATH: "/bin" }, "PATH is not a malloc setting, whatever the mark says");
    const theirs: NodeJS.ProcessEnv = { MALLOC_MMAP_THRESHOLD_: "65536" };
    dropAgentMallocEnv(theirs);
    assert.deepEqual(theirs, { MALLOC_MMAP_THRESHOLD_: "65536" });
  });
});
