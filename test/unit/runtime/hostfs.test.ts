// hostFs reads /proc and /sys through descriptors it keeps open; each read still sees the file as it is now.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";

/** Whether this process holds a descriptor open on `path`. */
function holdsOpen(path: string): boolean {
  return readdirSync("/proc/self/fd").some((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // the directory's own descriptor, gone by now
    }
  });
}

/** A child that connects to its own loopback server and closes, over and over; says "ready" once running. */
const CHURN = `
  const net = require("node:net");
  const server = net.createServer((c) => c.destroy()).listen(0, "127.0.0.1", () => {
    const { port } = server.address();
    const again = () => { const c = net.connect(port, "127.0.0.1"); c.on("error", () => {}); c.on("close", again); c.on("connect", () => c.destroy()); };
    for (let i = 0; i < 8; i++) again();
    process.stdout.write("ready\\n");
  });
`;

describe("hostFs", () => {
  it("reads /proc and /sys afresh on every call, through descriptors it keeps", async () => {
    const fs = hostFs();
    const first = await fs.proc("uptime");
    await new Promise((r) => setTimeout(r, 30));
    const second = await fs.proc("uptime");
    assert.notEqual(second, first, "uptime moved on");
    assert.ok(holdsOpen("/proc/uptime"), "the descriptor is kept open between reads");
    const names = (text: string) => text.split("\n").map((l) => l.split(":")[0]?.trim());
    assert.deepEqual(names(await fs.proc("net/dev")), names(readFileSync("/proc/net/dev", "utf8")), "whole (its counters move)");
    assert.equal(await fs.sys("class/net/lo/mtu"), readFileSync("/sys/class/net/lo/mtu", "utf8"));
    await assert.rejects(fs.proc("no/such/file"), /ENOENT/);
    await assert.rejects(fs.sys("class/net/no-such-iface/mtu"), /ENOENT/);
  });

  it("recordsUnder: one read of /proc/net/tcp gives the whole file, however many sockets, while others come and go", async () => {
    // why: more than the reader's first 64 KiB buffer (150 bytes a socket), so reads cross its growth; a child
    // process opens and closes loopback connections meanwhile, so the table changes between the reads' pages.
    const servers = Array.from({ length: 500 }, () => createServer().listen(0, "127.0.0.1"));
    await Promise.all(servers.map((s) => new Promise((r) => s.once("listening", r))));
    const churn = spawn(process.execPath, ["-e", CHURN], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise((r) => churn.stdout.once("data", r));
      const fs = hostFs();
      const ports = servers.map((s) => (s.address() as AddressInfo).port.toString(16).toUpperCase().padStart(4, "0"));
      for (let i = 0; i < 40; i++) {
        const text = await fs.proc("net/tcp", { recordsUnder: 512 });
        assert.ok(text.endsWith("\n"), `read ${i}: no line cut`);
        const lines = text.slice(0, -1).split("\n");
        const width = (lines[0] as string).length;
        assert.deepEqual(lines.filter((l) => l.length !== width), [], `read ${i}: every record whole`);
        for (const p of ports) assert.ok(text.includes(`:${p} `), `read ${i}: port ${p} listed`);
      }
    } finally {
      churn.kill();
      for (const s of servers) s.close();
    }
  });

  it("after a big file (its buffer grown past 4 MiB), a /proc/sys read still asks for no more than the kernel allows", async () => {
    const fs = hostFs();
    // why: /proc/kallsyms is several MiB on any kernel with symbols; a /proc/sys read of that size fails with ENOMEM.
    assert.ok((await fs.proc("kallsyms")).length > 4 * 1024 * 1024, "kallsyms is big enough to grow the buffer");
    assert.equal(await fs.proc("sys/net/ipv4/tcp_congestion_control"), readFileSync("/proc/sys/net/ipv4/tcp_congestion_control", "utf8"));
  });

  it("reads a fixture tree plainly: a file replaced between reads is seen", async () => {
    const root = mkdtempSync(join(tmpdir(), "eastwest-hostfs-"));
    try {
      writeFileSync(join(root, "stat"), "one");
      const fs = hostFs(root, root);
      assert.equal(await fs.proc("stat"), "one");
      writeFileSync(join(root, "stat.new"), "two");
      renameSync(join(root, "stat.new"), join(root, "stat"));
      assert.equal(await fs.proc("stat"), "two");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
