// One /24 per lab: locks in a directory of the test's own, a dead owner's leftovers removed by its prefix, live
// owners and addresses in use skipped, garbage locks handled.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parseLock, takeSubnet, usedSubnets } from "../../../cli/src/lab/subnet.ts";
import { tempDir } from "../../helpers/procs.ts";

/** A pid that has certainly exited. */
function deadPid(): number {
  const r = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

describe("lab subnets", () => {
  it("reads lock texts, and nothing from garbage", () => {
    assert.deepEqual(parseLock("123 ewcab1\n"), { pid: 123, prefix: "ewcab1" });
    assert.deepEqual(parseLock("123\n"), { pid: 123 });
    for (const bad of ["", "x", "-1 ewc", "0", "1.5 ewc"]) assert.equal(parseLock(bad).pid, undefined, bad);
    assert.equal(parseLock("5 ../../etc").prefix, undefined);
    assert.deepEqual([...usedSubnets("2: br inet 10.78.4.1/24 x\n3: y inet 10.779.1.1/24\n", "10.78")], [4]);
  });

  it("skips used and live-locked subnets, takes over a dead lab's lock after removing its leftovers", async () => {
    const dir = tempDir("subnet");
    try {
      writeFileSync(join(dir.path, "10.78.2.lock"), `${process.pid} ewclive\n`);
      writeFileSync(join(dir.path, "10.78.3.lock"), `${deadPid()} ewcdead\n`);
      const removed: string[] = [];
      const addrs = "7: ewcdeadbr0 inet 10.78.3.1/24\n8: eth0 inet 10.78.1.9/24\n";
      const a = await takeSubnet({ lockDir: dir.path, base: "10.78", addrs, prefix: "ewcnew", removeStale: async (p) => void removed.push(p) });
      assert.equal(a.net, "10.78.3", "1 is in use, 2 is held by a live lab, 3's owner is dead");
      assert.deepEqual(removed, ["ewcdead"]);
      assert.equal(readFileSync(join(dir.path, "10.78.3.lock"), "utf8"), `${process.pid} ewcnew\n`);
      const b = await takeSubnet({ lockDir: dir.path, base: "10.78", addrs, prefix: "ewcnxt" });
      assert.equal(b.net, "10.78.4");
      a.release();
      assert.equal(existsSync(join(dir.path, "10.78.3.lock")), false);
      // a dead lock without a prefix removes nothing, and an address still in use keeps the subnet taken
      writeFileSync(join(dir.path, "10.78.3.lock"), "garbage\n");
      const c = await takeSubnet({ lockDir: dir.path, base: "10.78", addrs: "8: eth0 inet 10.78.1.9/24\n9: z inet 10.78.3.2/24\n", removeStale: async () => assert.fail("no prefix: nothing to remove") });
      assert.equal(c.net, "10.78.5", "3: a dead lock without a prefix and an address in use; 4: held");
      b.release();
      c.release();
    } finally {
      dir.remove();
    }
  });
});
