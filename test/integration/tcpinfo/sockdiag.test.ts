// tcpinfo's sockdiag backend against the real kernel, real perl and real ss: the same socket read both ways gives
// the same tags and field set; the kernel port filter; IPv6; a killed helper; a helper whose stdin closes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { Sample } from "@eastwest/common";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { realExec } from "../../../agent/src/runtime/exec.ts";
import { SOCKDIAG_SCRIPT, SockDiagClient } from "../../../agent/src/samplers/tcpinfo/sockdiag.ts";
import { sockDiagRequest } from "../../../agent/src/samplers/tcpinfo/sockdiag.bytecode.ts";
import { parseHelperLine } from "../../../agent/src/samplers/tcpinfo/sockdiag.protocol.ts";
import { tcpinfoSampler } from "../../../agent/src/samplers/tcpinfo/tcpinfo.sampler.ts";
import { waitFor } from "../../helpers/procs.ts";
import { SECOND, T0, ctx, requireTool } from "../../unit/samplers/helpers.ts";

interface Conn {
  server: Server;
  client: Socket;
  peer: Socket;
  port: number;
}

/** A listening server on `host`, one connection to it, `bytes` sent client -> server and received. */
async function connection(host: string, bytes: number): Promise<Conn> {
  const server = createServer();
  const accepted = once(server, "connection");
  server.listen(0, host);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  const client = connect(port, host);
  await once(client, "connect");
  const [peer] = (await accepted) as [Socket];
  await send(client, peer, bytes);
  return { server, client, peer, port };
}

async function send(from: Socket, to: Socket, bytes: number): Promise<void> {
  let got = 0;
  const all = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      got += chunk.length;
      if (got >= bytes) {
        to.off("data", onData);
        resolve();
      }
    };
    to.on("data", onData);
  });
  from.write(Buffer.alloc(bytes, 7));
  await all;
}

function close(c: Conn | undefined): void {
  c?.client.destroy();
  c?.peer.destroy();
  c?.server.close();
}

const key = (p: Sample) => `${p.tags["local"]} ${p.tags["remote"]} ${p.tags["state"]}`;
const byFlow = (points: readonly Sample[]) => new Map(points.map((p) => [key(p), p]));
const big = (p: Sample | undefined, f: string) => p?.fields[f] as bigint;

/** Samples both backends for `flows` once (ss first), after the connection went idle (nothing unacked). */
async function both(flows: unknown[]) {
  const viaSs = tcpinfoSampler();
  const viaNl = tcpinfoSampler();
  const options = (backend: string) => ({ flows, backend });
  const c = (backend: string, t = T0) => ctx(hostFs(), t, { exec: realExec, options: options(backend) });
  await waitFor(async () => {
    const r = await viaNl.sample(c("sockdiag"));
    return r.points.length > 0 && r.points.every((p) => p.fields["unacked"] === 0n && p.fields["send_q_bytes"] === 0n) ? true : undefined;
  }, 10_000, "an idle connection");
  const ss = await viaSs.sample(c("ss"));
  const nl = await viaNl.sample(c("sockdiag", T0 + SECOND));
  return { ss, nl, viaNl, close: () => Promise.all([viaSs.close?.(), viaNl.close()]) };
}

function sameShape(ss: readonly Sample[], nl: readonly Sample[]): void {
  const a = byFlow(ss);
  const b = byFlow(nl);
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort(), "same sockets, same local/remote/state tags");
  for (const [k, p] of a) {
    const q = b.get(k) as Sample;
    assert.deepEqual(Object.keys(q.tags).sort(), Object.keys(p.tags).sort());
    const rates = (f: string) => !f.endsWith("_per_s");
    assert.deepEqual(Object.keys(q.fields).filter(rates).sort(), Object.keys(p.fields).filter(rates).sort(), `field set of ${k}`);
    for (const f of ["mss_bytes", "pmtu_bytes", "rcv_space_bytes", "ssthresh", "reordering", "lost", "retrans_total", "app_limited"]) {
      assert.equal(q.fields[f], p.fields[f], `${k} ${f}`);
    }
    const cwnd = [Number(p.fields["cwnd"]), Number(q.fields["cwnd"])];
    assert.ok(Math.abs((cwnd[0] ?? 0) - (cwnd[1] ?? 0)) <= 2, `${k} cwnd ${cwnd}`);
    // read after ss: counters at least ss's (busy: ss floors to whole ms)
    for (const f of ["sent_bytes_total", "acked_bytes_total", "received_bytes_total", "segs_out_total", "segs_in_total", "data_segs_out_total", "delivered_total", "busy_ns_total"]) {
      if (p.fields[f] !== undefined) assert.ok(big(q, f) >= big(p, f), `${k} ${f}: ${q.fields[f]} < ${p.fields[f]}`);
    }
  }
}

describe("tcpinfo sockdiag backend vs ss (real kernel)", function () {
  let v4: Conn | undefined;
  let other: Conn | undefined;
  let v6: Conn | undefined;

  before(async function () {
    await requireTool(this, "perl", ["-e", "1"]);
    await requireTool(this, "ss", ["-V"]);
    v4 = await connection("127.0.0.1", 256 * 1024);
    other = await connection("127.0.0.1", 1024);
    await send(v4.peer, v4.client, 4096);
  });

  after(() => [v4, other, v6].forEach(close));

  it("same sockets, tags and field set as ss; static fields equal; counters monotone and >= ss's", async () => {
    const { ss, nl, viaNl, close: done } = await both([{ port: v4!.port }]);
    assert.equal(ss.points.length, 2, "client and server ends");
    assert.deepEqual(nl.errors, []);
    assert.equal(viaNl.backend, "sockdiag");
    sameShape(ss.points, nl.points);
    const mine = byFlow(nl.points).get(`127.0.0.1:${v4!.client.localPort} 127.0.0.1:${v4!.port} ESTAB`);
    assert.ok(mine !== undefined, "the client end");
    assert.ok(big(mine, "sent_bytes_total") >= 256n * 1024n && big(mine, "received_bytes_total") >= 4096n);
    assert.ok(big(mine, "rtt_ns") > 0n && big(mine, "mss_bytes") > 0n);
    await send(v4!.client, v4!.peer, 64 * 1024);
    const later = await viaNl.sample(ctx(hostFs(), T0 + 2n * SECOND, { exec: realExec, options: { flows: [{ port: v4!.port }] } }));
    const again = byFlow(later.points).get(key(mine));
    for (const f of ["sent_bytes_total", "segs_out_total", "data_segs_out_total"]) assert.ok(big(again, f) > big(mine, f), f);
    for (const f of ["acked_bytes_total", "received_bytes_total", "segs_in_total", "delivered_total"]) assert.ok(big(again, f) >= big(mine, f), f);
    assert.ok(typeof again?.fields["acked_bytes_per_s"] === "number" && again.fields["acked_bytes_per_s"] > 0);
    await done();
  });

  it("filters by port in the kernel: a socket on another port is not returned", async () => {
    const client = new SockDiagClient();
    try {
      const mine = await client.query(sockDiagRequest([{ port: v4!.port }]));
      assert.equal(mine.length, 2);
      assert.ok(mine.every((s) => s.sport === v4!.port || s.dport === v4!.port));
      assert.ok(!mine.some((s) => s.sport === other!.port || s.dport === other!.port));
      const two = await client.query(sockDiagRequest([{ port: v4!.port }, { port: other!.port }]));
      assert.equal(two.length, 4);
      // the per-family requests (inet_diag_req_v2, what the helper uses when the one-walk request is refused)
      const byFamily = new SockDiagClient({ args: ["--by-family"] });
      const flat = (xs: typeof two) => xs.map((s) => `${s.family} ${s.src.toString("hex")}:${s.sport} ${s.dst.toString("hex")}:${s.dport} ${s.state}`).sort();
      try {
        assert.deepEqual(flat(await byFamily.query(sockDiagRequest([{ port: v4!.port }, { port: other!.port }]))), flat(two));
      } finally {
        await byFamily.close();
      }
      // no listening sockets, as ss -t without -a (the two servers listen on these ports)
      assert.ok(two.every((s) => s.state !== 10));
      // address selectors: dumped without bytecode, matched in TypeScript
      const byAddr = await both([{ address: "127.0.0.1", port: other!.port }]);
      assert.equal(byAddr.nl.points.length, 2);
      sameShape(byAddr.ss.points, byAddr.nl.points);
      await byAddr.close();
    } finally {
      await client.close();
    }
  });

  it("IPv6 (::1)", async function () {
    try {
      v6 = await connection("::1", 32 * 1024);
    } catch (err) {
      if (process.env["CI"] === "true") throw err;
      this.skip(); // no IPv6 loopback on this host
    }
    const { ss, nl, close: done } = await both([{ port: v6!.port }]);
    assert.equal(nl.points.length, 2);
    const byFamily = new SockDiagClient({ args: ["--by-family"] });
    try {
      const six = await byFamily.query(sockDiagRequest([{ port: v6!.port }]));
      assert.deepEqual(six.map((s) => s.family), [10, 10]);
    } finally {
      await byFamily.close();
    }
    assert.ok(nl.points.some((p) => p.tags["local"] === `[::1]:${v6!.client.localPort}` && p.tags["remote"] === `[::1]:${v6!.port}`));
    sameShape(ss.points, nl.points);
    await done();
  });

  it("a killed helper fails the next tick, and the tick after recovers with a new helper", async () => {
    const client = new SockDiagClient();
    const s = tcpinfoSampler({ sockDiag: () => client });
    const c = (i: bigint) => ctx(hostFs(), T0 + i * SECOND, { exec: realExec, options: { flows: [{ port: v4!.port }] } });
    assert.equal((await s.sample(c(0n))).points.length, 2);
    const pid = client.pid as number;
    process.kill(pid, "SIGKILL");
    const failed = await s.sample(c(1n));
    assert.deepEqual(failed.points, []);
    assert.match(failed.errors?.[0] ?? "", /^tcpinfo: sockdiag: helper exited \(SIGKILL\)/);
    const recovered = await s.sample(c(2n));
    assert.equal(recovered.points.length, 2);
    assert.deepEqual(recovered.errors, []);
    assert.ok(client.pid !== undefined && client.pid !== pid);
    await s.close?.();
    assert.equal(client.pid, undefined);
  });

  it("the helper prints only protocol, and exits when its stdin closes", async () => {
    const child = spawn("perl", [SOCKDIAG_SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = once(child, "exit");
    child.stdin.write(`Q 1 ${sockDiagRequest([{ port: v4!.port }]).states} -\nQ 2 0 zz\n`);
    await waitFor(() => (out.includes("\nX 2 ") ? true : undefined), 10_000, "both replies");
    child.stdin.end();
    const [code, signal] = await exited;
    assert.deepEqual([code, signal], [0, null]);
    assert.equal(err, "");
    const records = out.trimEnd().split("\n").map(parseHelperLine);
    assert.ok(records.every((r) => r.kind !== "bad"), out.slice(0, 500));
    assert.deepEqual(records.at(-1), { kind: "error", id: 2, errno: 22, message: "bad request" });
    assert.ok(records.some((r) => r.kind === "end" && r.id === 1 && r.count >= 4));
  });
});
