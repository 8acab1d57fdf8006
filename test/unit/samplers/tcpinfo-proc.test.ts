// The /proc/net/tcp pre-check that lets tcpinfo skip spawning ss when no socket matches.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { anySocketMatches, parseProcNetTcp } from "../../../agent/src/samplers/tcpinfo/tcpinfo.proc.ts";

const HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

describe("tcpinfo: /proc/net/tcp pre-check", () => {
  it("decodes IPv4 endpoints in host byte order", () => {
    const s = parseProcNetTcp(HEADER + "   1: 020200C0:87AC 0100007F:1451 01 00000000:00000000 00:00000000 00000000 0 0 0 1\n");
    assert.deepEqual(s, [{ local: { addr: "192.0.2.2", port: 34732 }, remote: { addr: "127.0.0.1", port: 5201 } }]);
    assert.equal(anySocketMatches(s, [{ port: 5201 }]), true);
    assert.equal(anySocketMatches(s, [{ port: 5202 }]), false);
    assert.equal(anySocketMatches(s, [{ address: "192.0.2.2" }]), true);
    assert.equal(anySocketMatches(s, [{ address: "192.0.2.2", port: 5201 }]), false, "address and port must match the same end");
  });

  it("decodes IPv6 and v4-mapped endpoints", () => {
    const text = HEADER + "   0: 00000000000000000000000001000000:1451 0000000000000000FFFF00000100007F:D431 01 0 0 0 0 0\n";
    const s = parseProcNetTcp(text);
    assert.equal(s[0]?.local.addr, "0:0:0:0:0:0:0:1");
    assert.equal(s[0]?.remote.addr, "127.0.0.1");
    assert.equal(anySocketMatches(s, [{ address: "::1", port: 5201 }]), true);
  });

  it("skips garbage lines instead of failing", () => {
    assert.deepEqual(parseProcNetTcp(HEADER + "garbage\n  2: zz:yy\n"), []);
  });

  it("finds a real listening socket on this host", async () => {
    const server = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as AddressInfo).port;
    const sockets = parseProcNetTcp(readFileSync("/proc/net/tcp", "utf8"));
    server.close();
    assert.equal(anySocketMatches(sockets, [{ port }]), true);
    assert.equal(anySocketMatches(sockets, [{ port, address: "127.0.0.1" }]), true);
  });
});

describe("tcpinfo: skipping ss while no socket matches", () => {
  it("does not spawn ss without a match, backs off re-reading, and looks again when the flows change", async () => {
    const { tcpinfoSampler } = await import("../../../agent/src/samplers/tcpinfo/tcpinfo.sampler.ts");
    const { hostFs } = await import("../../../agent/src/runtime/hostfs.ts");
    const { ctx, SECOND } = await import("./helpers.ts");
    let reads = 0;
    const base = hostFs("/nonexistent", "/nonexistent");
    const fs = { ...base, proc: async (rel: string) => (reads++, rel === "net/tcp" ? HEADER + "   1: 0100007F:0016 00000000:0000 0A 0 0 0 0 0\n" : HEADER) };
    const spawned: string[] = [];
    const exec = async (file: string) => (spawned.push(file), { stdout: "", stderr: "" });
    const s = tcpinfoSampler();
    const T0 = 1_700_000_000n * SECOND;
    const at = (t: bigint, port: number) => s.sample(ctx(fs, t, { exec, options: { flows: [{ port }], backend: "ss" } }));
    assert.deepEqual((await at(T0, 5201)).points, []);
    assert.equal(reads, 2, "tcp and tcp6 read once");
    await at(T0 + SECOND, 5201);
    assert.equal(reads, 2, "no re-read within the back-off");
    await at(T0 + 6n * SECOND, 5201);
    assert.equal(reads, 4, "re-read after the back-off");
    await at(T0 + 7n * SECOND, 22);
    assert.equal(reads, 6, "a new flows option looks at once");
    assert.deepEqual(spawned, ["ss"], "ss runs only when a socket matches (port 22)");
    // Sampling faster than 1 Hz (a run raised it): no back-off, every tick looks.
    const fast = tcpinfoSampler();
    const before = reads;
    for (let i = 0n; i < 3n; i++) await fast.sample(ctx(fs, T0 + i * 200_000_000n, { exec, options: { flows: [{ port: 5201 }], backend: "ss" }, intervalMs: 200 }));
    assert.equal(reads - before, 6, "three ticks, tcp and tcp6 each");
  });
});

describe("tcpinfo: ss at most every minIntervalMs", () => {
  it("skips ss on ticks closer than minIntervalMs to the last run", async () => {
    const { tcpinfoSampler } = await import("../../../agent/src/samplers/tcpinfo/tcpinfo.sampler.ts");
    const { hostFs } = await import("../../../agent/src/runtime/hostfs.ts");
    const { ctx, SECOND } = await import("./helpers.ts");
    const base = hostFs("/nonexistent", "/nonexistent");
    const fs = { ...base, proc: async (rel: string) => (rel === "net/tcp" ? HEADER + "   1: 0100007F:1451 0100007F:D431 01 0 0 0 0 0\n" : HEADER) };
    const spawned: bigint[] = [];
    const T0 = 1_700_000_000n * SECOND;
    const s = tcpinfoSampler();
    for (let i = 0n; i < 10n; i++) {
      const t = T0 + i * 100_000_000n;
      await s.sample(ctx(fs, t, { exec: async () => (spawned.push(t), { stdout: "", stderr: "" }), options: { flows: [{ port: 5201 }], backend: "ss" }, intervalMs: 100 }));
    }
    assert.deepEqual(spawned.map((t) => Number((t - T0) / 100_000_000n)), [0, 5], "10 ticks at 10 Hz, ss twice (default 500 ms)");
  });
});
