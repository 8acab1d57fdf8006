// Test doubles for the perf-based samplers: a spawn that replays perf stat output on demand, an exec that
// answers perf probes from fixtures. Shared by test/unit/samplers/{perf,pmu,kvmexit,membw}*.test.ts.
import { CommandError } from "@eastwest/common";
import type { Exec } from "../../../agent/src/runtime/exec.ts";
import type { SpawnOptions, SpawnTool, ToolExit } from "../../../agent/src/runtime/spawn.ts";

export interface FakeChild {
  file: string;
  args: readonly string[];
  options: SpawnOptions;
  pid: number;
  closed: boolean;
  exit: ToolExit | undefined;
  /** Delivers `text` line by line on stderr, as perf stat writes its CSV. */
  emit(text: string): void;
  /** The child exits by itself. */
  die(code: number): void;
}

export function fakeSpawn(): { spawn: SpawnTool; children: FakeChild[] } {
  const children: FakeChild[] = [];
  let nextPid = 40_000;
  const spawn: SpawnTool = (file, args, options = {}) => {
    let resolve: (e: ToolExit) => void = () => undefined;
    const exited = new Promise<ToolExit>((r) => (resolve = r));
    const child: FakeChild = {
      file,
      args,
      options,
      pid: nextPid++,
      closed: false,
      exit: undefined,
      emit(text) {
        for (const line of text.split("\n")) options.onStderrLine?.(line);
      },
      die(code) {
        child.exit ??= { code, signal: null };
        resolve(child.exit);
      },
    };
    children.push(child);
    return {
      pid: child.pid,
      exited,
      get exit() {
        return child.exit;
      },
      async close() {
        child.closed = true;
        child.exit ??= { code: null, signal: "SIGTERM" };
        resolve(child.exit);
        return child.exit;
      },
    };
  };
  return { spawn, children };
}

export type ExecAnswer = { stdout?: string; stderr?: string } | Error;

/** An exec answering by the first rule whose prefix starts `file args...`; records every call. */
export function fakeExec(rules: ReadonlyArray<readonly [string, ExecAnswer]>): { exec: Exec; calls: string[] } {
  const calls: string[] = [];
  const exec: Exec = async (file, args) => {
    const line = [file, ...args].join(" ");
    calls.push(line);
    const rule = rules.find(([prefix]) => line.startsWith(prefix));
    if (rule === undefined) throw new Error(`fakeExec: no rule for ${line}`);
    const answer = rule[1];
    if (answer instanceof Error) throw answer;
    return { stdout: answer.stdout ?? "", stderr: answer.stderr ?? "" };
  };
  return { exec, calls };
}

/** What realExec throws for a missing binary. */
export function notFound(file: string): CommandError {
  return new CommandError(`${file}: not found`, null, "", { cause: Object.assign(new Error(`spawn ${file} ENOENT`), { code: "ENOENT" }) });
}

/** What realExec throws for a non-zero exit. */
export function failed(file: string, code: number, stderr: string): CommandError {
  return new CommandError(`${file}: Command failed`, code, stderr);
}
