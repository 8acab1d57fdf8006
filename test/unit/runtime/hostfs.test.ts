// hostFs reads /proc and /sys through descriptors it keeps open; each read still sees the file as it is now.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from "node:fs";
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

  it("recordsUnder: one read of /proc/net/tcp gives the whole file, however many sockets", async () => {
    const servers = Array.from({ length: 60 }, () => createServer().listen(0, "127.0.0.1"));
    await Promise.all(servers.map((s) => new Promise((r) => s.once("listening", r))));
    try {
      const fs = hostFs();
      const text = await fs.proc("net/tcp", { recordsUnder: 512 });
      const ports = servers.map((s) => (s.address() as AddressInfo).port.toString(16).toUpperCase().padStart(4, "0"));
      for (const p of ports) assert.ok(text.includes(`:${p} `), `port ${p} listed`);
      assert.ok(text.endsWith("\n"), "no line cut");
    } finally {
      for (const s of servers) s.close();
    }
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
