// The sockdiag client and the sampler around it, against helpers that misbehave: real perl running small faulty
// scripts (the only way to get garbage, silence or a crash on demand), plus a missing perl binary.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SockDiagClient, SockDiagError } from "../../../agent/src/samplers/tcpinfo/sockdiag.ts";
import { SS_DEFAULT_STATES } from "../../../agent/src/samplers/tcpinfo/sockdiag.bytecode.ts";
import { tcpinfoSampler } from "../../../agent/src/samplers/tcpinfo/tcpinfo.sampler.ts";
import { ssArgs } from "../../../agent/src/host/ss.filter.ts";
import { T0, ctx, fixtureExec, liveFs, requireTool } from "./helpers.ts";

const REQ = { states: SS_DEFAULT_STATES };
/** Body of a fake helper: runs `reply` for each request line with $id set. */
const helper = (reply: string) => `$| = 1; while (my $l = <STDIN>) { my ($id) = $l =~ /^Q (\\d+)/; ${reply} }\n`;
const SOCKET = "S $id 2 1 7f000001 5201 7f000001 40000 0 - 0 0 cubic -";

describe("tcpinfo sockdiag client: faults", () => {
  let dir = "";
  const script = (name: string, body: string) => {
    const path = join(dir, `${name}.pl`);
    writeFileSync(path, body);
    return path;
  };
  const clients: SockDiagClient[] = [];
  const client = (options: ConstructorParameters<typeof SockDiagClient>[0]) => {
    const c = new SockDiagClient(options);
    clients.push(c);
    return c;
  };

  before(async function () {
    await requireTool(this, "perl", ["-e", "1"]);
    dir = mkdtempSync(join(tmpdir(), "sockdiag-"));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("non-protocol output: a clear error, the helper is replaced on the next query", async () => {
    const c = client({ script: script("garbage", helper('print "hello from perl\\n";')) });
    await assert.rejects(c.query(REQ), (e: unknown) => e instanceof SockDiagError && /non-protocol output \(unknown record|no request id/.test(e.message));
    assert.equal(c.pid, undefined, "killed");
    await assert.rejects(c.query(REQ), SockDiagError);
  });

  it("a wrong count, an error record, a crash, silence: each a SockDiagError saying which", async () => {
    const count = client({ script: script("count", helper(`print "${SOCKET}\\nE $id 5\\n";`)) });
    await assert.rejects(count.query(REQ), /announced 5 sockets, sent 1/);
    const kernel = client({ script: script("errno", helper('print "X $id 2 No such file or directory\\n";')) });
    await assert.rejects(kernel.query(REQ), (e: unknown) => e instanceof SockDiagError && e.failure === "kernel" && e.errno === 2 && /No such file or directory \(errno 2\)/.test(e.message));
    const crash = client({ script: script("crash", helper('print STDERR "boom\\n"; exit 3;')) });
    await assert.rejects(crash.query(REQ), (e: unknown) => e instanceof SockDiagError && e.failure === "died" && /helper exited \(code 3\): boom/.test(e.message));
    const silent = client({ script: script("silent", helper("1;")), timeoutMs: 200 });
    await assert.rejects(silent.query(REQ), (e: unknown) => e instanceof SockDiagError && e.failure === "timeout" && /no reply within 200 ms \(helper restarted\)/.test(e.message));
    assert.equal(silent.pid, undefined);
  });

  it("a reply over maxReplyBytes is abandoned", async () => {
    const big = client({ script: script("big", helper(`print "${SOCKET}\\n" x 100, "E $id 100\\n";`)), maxReplyBytes: 1000 });
    await assert.rejects(big.query(REQ), /reply larger than 1000 bytes/);
  });

  it("a missed tick deadline fails that query only: the late reply is dropped by id, the helper stays", async () => {
    const slow = client({ script: script("slow", helper(`select(undef, undef, undef, $id == 1 ? 0.3 : 0); print "${SOCKET}\\nE $id 1\\n";`)) });
    const ac = new AbortController();
    const first = slow.query(REQ, ac.signal);
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(first, (e: unknown) => e instanceof SockDiagError && e.failure === "deadline" && /tick deadline passed/.test(e.message));
    const pid = slow.pid;
    const second = await slow.query(REQ);
    assert.equal(second.length, 1);
    assert.equal(slow.pid, pid);
  });

  it("never queues a request behind one the helper is still answering (no backlog under load)", async () => {
    const log = join(dir, "requests.log");
    const slow = client({ script: script("slow3", helper(`open(my $f, ">>", "${log}"); print $f "$id\\n"; close $f; select(undef, undef, undef, 0.2); print "E $id 0\\n";`)) });
    for (let i = 0; i < 5; i++) {
      const ac = new AbortController();
      const q = slow.query(REQ, ac.signal);
      setTimeout(() => ac.abort(), 30);
      await assert.rejects(q, /tick deadline passed before the reply/);
    }
    assert.deepEqual(await slow.query(REQ), []);
    const written = readFileSync(log, "utf8").trim().split("\n");
    assert.ok(written.length <= 3, `requests written: ${written.join(",")}`);
  });

  it("no perl: 'not found'", async () => {
    await assert.rejects(client({ perl: "/nonexistent/perl" }).query(REQ), (e: unknown) => e instanceof SockDiagError && e.failure === "start" && /cannot start helper: \/nonexistent\/perl: not found/.test(e.message));
  });

  it("close is idempotent and safe without a start", async () => {
    const c = client({});
    await c.close();
    await c.close();
    await assert.rejects(c.query(REQ), /closed/);
  });

  it("the sampler queries at most every minIntervalMs (default 500 ms), whatever its interval", async () => {
    const log = join(dir, "queries.log");
    const counting = script("counting", `open(my $log, ">>", "${log}") or die; $log->autoflush(1);\n` + helper(`print $log "$id\\n"; print "${SOCKET}\\n"; print "E $id 1\\n";`));
    const queries = () => readFileSync(log, "utf8").split("\n").filter(Boolean).length;
    const s = tcpinfoSampler({ sockDiag: () => new SockDiagClient({ script: counting }) });
    const at = (ms: number, options: Record<string, unknown>) => s.sample(ctx(liveFs(0), T0 + BigInt(ms) * 1_000_000n, { options }));
    const flows = { flows: [{ port: 5201 }] };
    const got = [];
    for (const ms of [0, 100, 200, 300, 400, 500, 600]) got.push((await at(ms, flows)).points.length);
    assert.deepEqual(got, [1, 0, 0, 0, 0, 1, 0]);
    assert.equal(queries(), 2);
    for (const ms of [700, 800]) assert.equal((await at(ms, { ...flows, minIntervalMs: 0 })).points.length, 1);
    assert.equal(queries(), 4);
    await s.close();
  });

  it("while queries find nothing, 1 Hz sampling looks again every 5 s; faster sampling (a run) keeps looking", async () => {
    const log = join(dir, "idle.log");
    const empty = script("empty", `open(my $log, ">>", "${log}") or die; $log->autoflush(1);\n` + helper(`print $log "$id\\n"; print "E $id 0\\n";`));
    const queries = () => readFileSync(log, "utf8").split("\n").filter(Boolean).length;
    const s = tcpinfoSampler({ sockDiag: () => new SockDiagClient({ script: empty }) });
    const options = { flows: [{ port: 5201 }] };
    for (let i = 0n; i <= 10n; i++) await s.sample(ctx(liveFs(0), T0 + i * 1_000_000_000n, { options, intervalMs: 1000 }));
    assert.equal(queries(), 3, "at 0, 5 and 10 s");
    for (let i = 0n; i < 4n; i++) await s.sample(ctx(liveFs(0), T0 + 11n * 1_000_000_000n + i * 500_000_000n, { options, intervalMs: 100 }));
    assert.equal(queries(), 7, "every minIntervalMs at 10 Hz");
    await s.close();
  });

  describe("the sampler never throws for a helper's fault", () => {
    // why: these ticks share one timestamp; minIntervalMs 0 makes each of them a query.
    const options = { flows: [{ port: 5201 }], minIntervalMs: 0 };

    it("a garbage-printing helper is a tick error; with auto, repeated failures fall back to ss and say so once", async () => {
      const s = tcpinfoSampler({ sockDiag: () => new SockDiagClient({ script: script("garbage2", helper('print "?\\n";')) }) });
      const t0 = fixtureExec("live-t0");
      const c = ctx(liveFs(0), T0, { exec: t0.exec, options });
      const ticks = [await s.sample(c), await s.sample(c), await s.sample(c)];
      for (const r of ticks) {
        assert.deepEqual(r.points, []);
        assert.match(r.errors?.at(-1) ?? "", /^tcpinfo: sockdiag: helper printed non-protocol output \(no request id: "\?"\); helper restarted$/);
      }
      assert.deepEqual(ticks.map((r) => r.errors?.length), [1, 1, 2]);
      assert.match(ticks[2]?.errors?.[0] ?? "", /^tcpinfo: backend ss \(sockdiag unusable: sockdiag: helper printed non-protocol output/);
      assert.equal(s.backend, "ss");
      assert.equal(t0.calls.length, 0);
      const r = await s.sample(c);
      assert.equal(r.points.length, 4);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(t0.calls, [{ file: "ss", args: ssArgs(options.flows) }]);
      await s.close();
    });

    it("auto: missed tick deadlines are tick errors but never a reason to move to ss", async () => {
      const s = tcpinfoSampler({ sockDiag: () => new SockDiagClient({ script: script("slow2", helper(`select(undef, undef, undef, 0.2); print "E $id 0\\n";`)) }) });
      for (let i = 0; i < 4; i++) {
        const ac = new AbortController();
        const tick = s.sample(ctx(liveFs(0), T0, { exec: fixtureExec("live-t0").exec, options, signal: ac.signal }));
        setTimeout(() => ac.abort(), 30);
        assert.match((await tick).errors?.[0] ?? "", /^tcpinfo: sockdiag: tick deadline passed before the reply$/);
      }
      assert.equal(s.backend, "sockdiag");
      await s.close();
    });

    it("backend sockdiag never falls back; init reports both reasons when neither backend works", async () => {
      const noPerl = () => new SockDiagClient({ perl: "/nonexistent/perl" });
      const fixed = tcpinfoSampler({ sockDiag: noPerl });
      const c = ctx(liveFs(0), T0, { exec: fixtureExec("live-t0", ["ss"]).exec, options: { ...options, backend: "sockdiag" } });
      assert.deepEqual(await fixed.init?.(c), { available: false, reason: "unavailable: sockdiag: sockdiag: cannot start helper: /nonexistent/perl: not found" });
      for (let i = 0; i < 4; i++) assert.match((await fixed.sample(c)).errors?.[0] ?? "", /not found/);
      assert.equal(fixed.backend, "sockdiag");
      const auto = tcpinfoSampler({ sockDiag: noPerl });
      const a = await auto.init?.(ctx(liveFs(0), T0, { exec: fixtureExec("live-t0", ["ss"]).exec, options }));
      assert.deepEqual(a, { available: false, reason: "unavailable: sockdiag: sockdiag: cannot start helper: /nonexistent/perl: not found; ss not found" });
      const withSs = tcpinfoSampler({ sockDiag: noPerl });
      assert.deepEqual(await withSs.init?.(ctx(liveFs(0), T0, { exec: fixtureExec("live-t0").exec, options })), { available: true });
      assert.equal(withSs.backend, "ss");
      await Promise.all([fixed, auto, withSs].map((s) => s.close?.()));
    });
  });
});
