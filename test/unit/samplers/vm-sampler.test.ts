// The vm sampler over the captured /proc tree (test/fixtures/proc-vm) and a fake QMP server that replays the captured
// QEMU 7.2 replies (test/fixtures/qmp) on a unix socket, with events interleaved and replies cut into small chunks.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { ConfigError, measurement, type Sample } from "@eastwest/common";
import { hostFs, type HostFs } from "../../../agent/src/runtime/hostfs.ts";
import { vmSampler } from "../../../agent/src/samplers/vm/vm.sampler.ts";
import type { SampleResult } from "../../../agent/src/samplers/types.ts";
import { tempDir } from "../../helpers/procs.ts";
import { FIXTURES, SECOND, T0, ctx, fixture, pointWith } from "./helpers.ts";

/** A tick's problems ([] when none). */
const errs = (r: SampleResult): string[] => r.errors ?? [];

type Reply = (execute: string, args: Record<string, unknown> | undefined) => string | undefined;

interface FakeQmp {
  server: Server;
  /** Commands received, per session. */
  sessions: string[][];
  close(): Promise<void>;
}

/** A QMP server on `path`: greets (unless `greet` is false), answers by `reply` with the request's id. */
async function fakeQmp(path: string, reply: Reply, greet = true): Promise<FakeQmp> {
  const sessions: string[][] = [];
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    const log: string[] = [];
    sessions.push(log);
    const send = (text: string): void => {
      for (let i = 0; i < text.length; i += 7) sock.write(text.slice(i, i + 7));
    };
    if (greet) send(fixture("qmp", "kvm", "greeting.json").replace("\n", "\r\n"));
    let buf = "";
    sock.on("data", (d) => {
      buf += d.toString();
      for (let n = buf.indexOf("\n"); n >= 0; n = buf.indexOf("\n")) {
        const req = JSON.parse(buf.slice(0, n)) as { execute: string; arguments?: Record<string, unknown>; id: string };
        buf = buf.slice(n + 1);
        log.push(req.arguments?.["target"] ? `${req.execute} ${String(req.arguments["target"])}` : req.execute);
        const line = req.execute === "qmp_capabilities" ? '{"return": {}, "id": "x"}' : reply(req.execute, req.arguments);
        if (line === undefined) continue;
        send('{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RTC_CHANGE", "data": {"offset": 0}}\r\n');
        send(line.trim().replace(/"id": "?[^"},]*"?/, `"id": "${req.id}"`) + "\r\n");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    server,
    sessions,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Replies of one captured guest ("kvm" or "tcg"); query-stats from capture tick `tick()`. */
function captured(guest: string, tick: () => string): Reply {
  return (execute, args) => {
    if (execute === "query-stats") return fixture("qmp", guest, `query-stats-${String(args?.["target"])}-${tick()}.json`);
    return fixture("qmp", guest, `${execute}.json`);
  };
}

/** The captured /proc tree of `tick`, with the QMP socket paths moved into `dir`; /sys from `sys` (default: empty). */
function procFs(tree: string, dir: string, sys?: Partial<HostFs>): HostFs {
  const base = hostFs(join(FIXTURES, "proc-vm", tree), join(dir, "no-sys"));
  const proc = async (rel: string): Promise<string> => {
    const text = await base.proc(rel);
    return rel.endsWith("/cmdline") ? text.replace(/unix:[^,\0]*\/(kvm|tcg)\.sock/g, `unix:${dir}/$1.sock`) : text;
  };
  return { ...base, proc, ...sys };
}

/** Every point matches its measurement's declared tags and fields. */
function conforms(points: readonly Sample[]): string[] {
  return points.flatMap((p) => {
    const def = measurement(p.measurement);
    if (def === undefined) return [`${p.measurement}: not in the schema`];
    const bad = Object.keys(p.fields).filter((f) => def.fields[f] === undefined);
    const tagsOk = Object.keys(p.tags).sort().join() === [...def.tags].sort().join();
    return [...bad.map((f) => `${p.measurement}.${f} undeclared`), ...(tagsOk ? [] : [`${p.measurement}: tags ${Object.keys(p.tags)}`])];
  });
}

describe("vm sampler: captured guests over a replayed QMP", () => {
  let dir: ReturnType<typeof tempDir>;
  let kvm: FakeQmp;
  let tcg: FakeQmp;
  let tick = "t0";

  before(async () => {
    dir = tempDir("vm-unit");
    kvm = await fakeQmp(join(dir.path, "kvm.sock"), captured("kvm", () => tick));
    tcg = await fakeQmp(join(dir.path, "tcg.sock"), captured("tcg", () => tick));
  });

  after(async () => {
    await kvm?.close();
    await tcg?.close();
    dir?.remove();
  });

  it("discovers both guests, counts exits per VM and per vCPU, reports tcg once, one short QMP session per tick", async () => {
    // the replay's threads are read at the ticks' times (a thread's share is over the time between its reads)
    let readAt = T0;
    const s = vmSampler();
    assert.deepEqual(await s.init?.(ctx(procFs("t0", dir.path), T0)), { available: true });
    tick = "t0";
    const r0 = await s.sample(ctx(procFs("t0", dir.path), T0, { readClock: () => readAt }));
    tick = "t1";
    readAt = T0 + SECOND;
    const r1 = await s.sample(ctx(procFs("t1", dir.path), T0 + SECOND, { readClock: () => readAt }));
    await s.close?.();
    assert.deepEqual(errs(r0), ["vm fxtcg: unavailable: no KVM stats: VM runs under tcg"]);
    assert.deepEqual(errs(r1), []);
    assert.deepEqual(conforms([...r0.points, ...r1.points]), []);

    const info = pointWith(r1.points, "vm_info", "vm", "fx");
    assert.deepEqual(info.tags, { agent_id: "test-agent", host: "test-host", netns: "test-ns", vm: "fx", vm_uuid: "6f1c2a3e-8b1d-4c55-9a2e-2f7e4d0c1a10", accel: "kvm", kvm_stats: "qmp" });
    assert.deepEqual(info.fields, { pid: 23679n, vcpus: 2n, threads: 6n });
    assert.deepEqual(pointWith(r1.points, "vm_info", "vm", "fxtcg").tags["kvm_stats"], "unavailable");
    assert.equal(pointWith(r1.points, "vm_info", "vm", "fxtcg").tags["accel"], "tcg");
    assert.equal(r1.points.filter((p) => p.tags["vm"] === "fxtcg" && p.measurement.endsWith("kvm")).length, 0);

    const vm0 = pointWith(r0.points, "vm_kvm", "vm", "fx");
    const vm1 = pointWith(r1.points, "vm_kvm", "vm", "fx");
    assert.equal(vm0.fields["exits_total"], 1238n + 47n);
    assert.equal(vm0.fields["exits_per_s"], undefined);
    assert.equal(vm1.fields["exits_total"], 1819n + 47n);
    assert.equal(vm1.fields["exits_per_s"], 1866 - 1285);
    assert.equal(vm1.fields["mmu_shadow_zapped_total"], 16n);
    assert.equal(vm1.fields["pages_4k"], 0n);
    const cpu0 = r1.points.find((p) => p.measurement === "vcpu_kvm" && p.tags["vcpu"] === "0");
    assert.equal(cpu0?.fields["insn_emulation_per_s"], 898528 - 386822);
    assert.equal(r1.points.find((p) => p.measurement === "vcpu_kvm" && p.tags["vcpu"] === "1")?.fields["halt_wait_ns_per_s"], 1399503528 - 380594404);

    const run = pointWith(r1.points.filter((p) => p.tags["vm"] === "fx"), "vm_thread", "thread", "CPU 0/KVM");
    assert.equal(run.tags["thread_kind"], "vcpu");
    assert.equal(run.fields["run_ns_total"], 1763842662n);
    assert.ok(Math.abs((run.fields["run_pct"] as number) - 94.418489) < 1e-6);
    assert.deepEqual(r1.points.filter((p) => p.measurement === "vm_thread" && p.tags["vm"] === "fxtcg").map((p) => p.tags["thread"]), ["CPU 0/TCG", "CPU 1/TCG", "IO mon_iothread", "qemu-system-x86", "other"]);

    // One short session per tick; what a session learns is asked once.
    assert.deepEqual(kvm.sessions, [
      ["qmp_capabilities", "query-kvm", "query-cpus-fast", "query-stats-schemas", "query-stats vm", "query-stats vcpu"],
      ["qmp_capabilities", "query-stats vm", "query-stats vcpu"],
    ]);
    assert.equal(tcg.sessions.length, 1, "a tcg guest is not asked again");
  });

  it("maxVms keeps the first guests by name and says so once", async () => {
    const s = vmSampler();
    const r = await s.sample(ctx(procFs("t0", dir.path), T0, { options: { maxVms: 1 } }));
    await s.close?.();
    assert.deepEqual([...new Set(r.points.map((p) => p.tags["vm"]))], ["fx"]);
    assert.deepEqual(errs(r), ["vm: 2 QEMU guests, following the first 1 by name (maxVms)"]);
  });

  it("refuses bad options, all at once", async () => {
    await assert.rejects(vmSampler().sample(ctx(procFs("t0", dir.path), T0, { options: { maxVms: 0, libvirtDir: 3, extra: 1 } })), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 3);
      return true;
    });
  });
});

describe("vm sampler: QEMU without query-stats, debugfs fallback", () => {
  let dir: ReturnType<typeof tempDir>;
  let old: FakeQmp;

  before(async () => {
    dir = tempDir("vm-old");
    const notFound = fixture("qmp", "errors", "query-stats-not-found.handwritten.json");
    old = await fakeQmp(join(dir.path, "kvm.sock"), (execute) => (execute.startsWith("query-stats") ? notFound : fixture("qmp", "kvm", `${execute}.json`)));
  });

  after(async () => {
    await old?.close();
    dir?.remove();
  });

  const sysWith = (files: Record<string, string>, readErr?: string): Partial<HostFs> => ({
    sysDir: async (rel) => {
      if (rel === "kernel/debug") return [];
      if (rel === "kernel/debug/kvm") return ["23679-9"];
      if (rel === "kernel/debug/kvm/23679-9") return [...Object.keys(files), "vcpu0", "halt_wait_hist"];
      throw Object.assign(new Error(`ENOENT ${rel}`), { code: "ENOENT" });
    },
    sys: async (rel) => {
      if (readErr !== undefined) throw Object.assign(new Error(`${readErr}: ${rel}`), { code: readErr });
      const f = files[rel.split("/").at(-1) ?? ""];
      if (f === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
      return f;
    },
  });

  it("QEMU < 7.1 and debugfs not mounted: unavailable with both reasons", async () => {
    const s = vmSampler();
    const r = await s.sample(ctx(procFs("t0", dir.path), T0));
    await s.close?.();
    assert.ok(errs(r).includes("vm fx: unavailable: QMP query-stats not supported by QEMU 7.2.22 (needs >= 7.1); debugfs: not mounted"), errs(r).join("\n"));
    assert.equal(pointWith(r.points, "vm_info", "vm", "fx").tags["kvm_stats"], "unavailable");
  });

  it("readable debugfs gives VM-wide counters; lockdown is named", async () => {
    const files = { exits: "4096\n", io_exits: "17\n", pages_4k: "512\n", guest_mode: "0\n" };
    const s = vmSampler();
    const r = await s.sample(ctx(procFs("t0", dir.path, sysWith(files)), T0));
    await s.close?.();
    assert.equal(pointWith(r.points, "vm_info", "vm", "fx").tags["kvm_stats"], "debugfs");
    assert.deepEqual(pointWith(r.points, "vm_kvm", "vm", "fx").fields, { exits_total: 4096n, io_exits_total: 17n, pages_4k: 512n });
    assert.ok(errs(r).includes("vm fx: counters from debugfs (QMP query-stats not supported by QEMU 7.2.22 (needs >= 7.1))"), errs(r).join("\n"));
    assert.deepEqual(conforms(r.points), []);

    const locked = vmSampler();
    const l = await locked.sample(ctx(procFs("t0", dir.path, sysWith(files, "EPERM")), T0));
    await locked.close?.();
    assert.ok(errs(l).some((e) => e.startsWith("vm fx: unavailable: ") && e.endsWith("; debugfs: Operation not permitted (lockdown)")), errs(l).join("\n"));
  });
});
