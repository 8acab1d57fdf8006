// The fault suite's smoke test: `npm run faults` with one short scenario (three SIGKILLs of a collector under
// three agents at 10 Hz) as a process; its table row must be well formed and met, and the exit status 0.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startProcess } from "../../helpers/procs.ts";

const RUN = fileURLToPath(new URL("../../faults/run.ts", import.meta.url));

describe("fault suite (smoke)", function () {
  this.timeout(90_000);

  it("collector-kill in quick mode: a well-formed row, 0 missing, 0 duplicated, all up", async () => {
    const p = startProcess(process.execPath, [RUN, "--only", "collector-kill", "--quick", "--seconds", "6", "--kill-every", "2"]);
    const code = await p.exited;
    const row = p.stdout().split("\n").find((l) => l.startsWith("| collector-kill "));
    assert.ok(row, `a collector-kill row in:\n${p.stdout()}\n${p.stderr()}`);
    const [scenario, made, stored, missing, duplicated, up, target, result] = row.split("|").slice(1, -1).map((c) => c.trim());
    assert.equal(scenario, "collector-kill");
    assert.ok(Number(made?.replace(/,/g, "")) > 0, `batches made: ${made}`);
    assert.equal(stored, made);
    assert.deepEqual([missing, duplicated, up, target, result], ["0", "0", "yes", "0 missing, 0 dup, up", "ok"], `${row}\n${p.stdout()}`);
    assert.match(p.stdout(), /collector-kill: 3 SIGKILLs of the collector in 6 s/);
    assert.equal(code, 0, p.stderr());
  });
});
