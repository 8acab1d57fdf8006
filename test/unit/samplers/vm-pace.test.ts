// vm sampler: QMP sessions slower than the tick. A monitor that answers late is no failure: the tick goes on without
// its counters, says so once, and the next tick carries them with a rate over the longer interval. A monitor that does
// not answer within qmpTimeoutMs fails and backs off. The monitors are unix servers of the test (a real QEMU under load:
// test/integration/qemu/vm-pace.test.ts).
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Socket } from "node:net";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { vmSampler } from "../../../agent/src/samplers/vm/vm.sampler.ts";
import { Pacer } from "../../../agent/src/samplers/vm/vm.pace.ts";
import type { SampleResult } from "../../../agent/src/samplers/types.ts";
import { tempDir } from "../../helpers/procs.ts";
import { SECOND, T0, ctx, fixture, pointWith } from "./helpers.ts";
import { GUEST_TASKS, guestArgv, listen, writeProc } from "./vm-helpers.ts";

const errs = (r: SampleResult): string[] => r.errors ?? [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A QMP monitor answering from the captured kvm guest; query-stats after `delayMs` (never when undefined), exits rising by 100 per answer. */
function monitor(delayMs: () => number | undefined): (s: Socket) => void {
  let answers = 0;
  return (s) => {
    s.write(fixture("qmp", "kvm", "greeting.json"));
    s.on("data", (d) => {
      for (const line of d.toString().trim().split("\n")) {
        const req = JSON.parse(line) as { execute: string; id: string; arguments?: { target?: string } };
        const reply = (text: string) => s.write(`${text.trim().replace(/"id": "[^"]*"/, `"id": "${req.id}"`)}\n`);
        if (req.execute === "qmp_capabilities") reply('{"return": {}, "id": "x"}');
        else if (req.execute !== "query-stats") reply(fixture("qmp", "kvm", `${req.execute}.json`));
        else {
          const ms = delayMs();
          if (ms === undefined) continue;
          const text = fixture("qmp", "kvm", `query-stats-${req.arguments?.target}-t0.json`);
          const n = req.arguments?.target === "vcpu" ? answers++ : answers;
          const bumped = text.replace(/"name": "exits", "value": (\d+)/, (_m, v: string) => `"name": "exits", "value": ${Number(v) + 100 * n}`);
          setTimeout(() => !s.destroyed && reply(bumped), ms);
        }
      }
    });
  };
}

describe("vm sampler: QMP slower than the tick", () => {
  let dir: ReturnType<typeof tempDir>;
  let proc: string;
  beforeEach(() => {
    dir = tempDir("vm-pace");
    proc = join(dir.path, "proc");
    mkdirSync(proc);
  });
  afterEach(() => dir.remove());

  it("a late reply: that tick has no counters and says why once; the next carries them, rate over two intervals, no back-off", async () => {
    const sock = join(dir.path, "late.sock");
    let delay = 0;
    const mon = await listen(sock, monitor(() => delay));
    writeProc(proc, 700, guestArgv("late", sock), GUEST_TASKS);
    const s = vmSampler();
    const c = (t: bigint) => ctx(hostFs(proc), t, { signal: AbortSignal.timeout(150), options: { libvirtDir: dir.path, qmpTimeoutMs: 3000 } });
    const r0 = await s.sample(c(T0));
    delay = 400;
    const r1 = await s.sample(c(T0 + SECOND));
    await sleep(400);
    delay = 0;
    const r2 = await s.sample(c(T0 + 2n * SECOND));
    await s.close?.();
    await mon.close();
    const exits = (r: SampleResult) => r.points.find((p) => p.measurement === "vm_kvm")?.fields;
    assert.equal(typeof exits(r0)?.["exits_total"], "bigint");
    assert.equal(exits(r1), undefined, "the late tick has no vm_kvm point");
    assert.deepEqual(errs(r1), ["vm late: QMP slower than the tick at times: such a tick has no KVM counters, the next has them (qmpTimeoutMs 3000)"]);
    assert.equal(pointWith(r1.points, "vm_info").tags["kvm_stats"], "qmp", "the source is still QMP");
    assert.ok(r1.points.some((p) => p.measurement === "vm_thread"), "threads are sampled meanwhile");
    // r2: its own session answers at once; the late one of r1 was passed over for it. 200 exits in two seconds.
    assert.equal((exits(r2)?.["exits_total"] as bigint) - (exits(r0)?.["exits_total"] as bigint), 200n);
    assert.equal(exits(r2)?.["exits_per_s"], 100);
    assert.deepEqual(errs(r2), []);
    assert.equal(mon.connections(), 3, "a session per tick: no back-off for a monitor that answers late");
  });

  it("no reply within qmpTimeoutMs: the session fails, the next tick says so, and the monitor is left alone during the back-off", async () => {
    const sock = join(dir.path, "stuck.sock");
    const mon = await listen(sock, monitor(() => undefined));
    writeProc(proc, 700, guestArgv("stuck", sock), GUEST_TASKS);
    const s = vmSampler();
    const c = (t: bigint) => ctx(hostFs(proc), t, { signal: AbortSignal.timeout(100), options: { libvirtDir: dir.path, qmpTimeoutMs: 300 } });
    const r0 = await s.sample(c(T0));
    await sleep(400);
    const r1 = await s.sample(c(T0 + SECOND / 2n));
    const r2 = await s.sample(c(T0 + (SECOND * 9n) / 10n));
    await s.close?.();
    await mon.close();
    assert.match(errs(r0)[0] ?? "", /^vm stuck: QMP slower than the tick at times/);
    assert.match(errs(r1)[0] ?? "", /^vm stuck: unavailable: QMP query-stats: no reply before the session's deadline \(qmpTimeoutMs 300\); debugfs: /);
    assert.deepEqual(errs(r2), []);
    assert.equal(mon.connections(), 1, "no new session during the back-off");
    assert.equal(pointWith(r1.points, "vm_info").fields["vcpus"], 2n, "vCPUs from query-cpus-fast");
  });

  it("Pacer: fresh, pending, then late; one read in flight at a time", async () => {
    const p = new Pacer<number>();
    let started = 0;
    const read = (ms: number, v: number) => async (): Promise<number> => {
      started++;
      await sleep(ms);
      return v;
    };
    assert.deepEqual(await p.next(AbortSignal.timeout(200), 1000, read(1, 1)), { kind: "fresh", value: 1 });
    const pending = await p.next(AbortSignal.timeout(20), 1000, read(100, 2));
    assert.equal(pending.kind, "pending");
    const again = await p.next(AbortSignal.timeout(20), 1000, read(1, 3));
    assert.equal(again.kind, "pending", "the read in flight is waited for, no second one");
    await sleep(150);
    const late = await p.next(AbortSignal.timeout(20), 1000, read(100, 4));
    assert.deepEqual([late.kind, late.kind === "late" && late.value], ["late", 2]);
    assert.equal(started, 3);
    p.close();
  });
});
