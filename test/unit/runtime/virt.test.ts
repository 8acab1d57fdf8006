// VM detection (agent/src/virt.ts) over /proc and /sys trees written by the test, read through the agent's own
// hostFs; the role `auto` picks from it; the machine UUID's source decides whether a guest can be linked.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { chooseRole, detectVirtualization } from "../../../agent/src/virt.ts";
import { machineId } from "../../../agent/src/identity.ts";
import { tempDir } from "../../helpers/procs.ts";

const CPUINFO = (flags: string) => `processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Some CPU\nflags\t\t: ${flags}\n\n`;

function tree(files: Record<string, string>): { fs: ReturnType<typeof hostFs>; remove: () => void } {
  const dir = tempDir("virt");
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir.path, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return { fs: hostFs(join(dir.path, "proc"), join(dir.path, "sys")), remove: dir.remove };
}

describe("virt: is this a VM, and which role", () => {
  it("bare metal: no hypervisor bit, a physical vendor: not a VM, role auto is host", async () => {
    const t = tree({ "proc/cpuinfo": CPUINFO("fpu vme sse2 vmx"), "sys/class/dmi/id/sys_vendor": "Dell Inc.\n", "sys/class/dmi/id/product_name": "PowerEdge R640\n" });
    try {
      const v = await detectVirtualization(t.fs);
      assert.deepEqual(v, { vm: false, hypervisor: "", evidence: [] });
      assert.equal(chooseRole("auto", v, true).role, "host");
      assert.equal(chooseRole("auto", v, false).role, "host");
    } finally {
      t.remove();
    }
  });

  it("a QEMU guest: cpuid bit and DMI name it; role auto is guest without /dev/kvm, host (nested) with it", async () => {
    const t = tree({ "proc/cpuinfo": CPUINFO("fpu sse2 hypervisor"), "sys/class/dmi/id/sys_vendor": "QEMU\n", "sys/class/dmi/id/product_name": "Standard PC (i440FX + PIIX, 1996)\n" });
    try {
      const v = await detectVirtualization(t.fs);
      assert.equal(v.vm, true);
      assert.equal(v.hypervisor, "qemu");
      assert.deepEqual(v.evidence, ["cpuid: hypervisor bit set", 'dmi sys_vendor "QEMU"']);
      const guest = chooseRole("auto", v, false);
      assert.equal(guest.role, "guest");
      assert.match(guest.reason, /virtual machine.*QEMU/);
      const nested = chooseRole("auto", v, true);
      assert.equal(nested.role, "host");
      assert.match(nested.reason, /\/dev\/kvm.*nested/);
      assert.deepEqual(chooseRole("host", v, false), { role: "host", reason: "configured" });
    } finally {
      t.remove();
    }
  });

  it("Hyper-V only by its product name, Xen by /sys/hypervisor, no cpuinfo at all is not an error", async () => {
    const hv = tree({ "sys/class/dmi/id/sys_vendor": "Microsoft Corporation\n", "sys/class/dmi/id/product_name": "Virtual Machine\n" });
    const surface = tree({ "sys/class/dmi/id/sys_vendor": "Microsoft Corporation\n", "sys/class/dmi/id/product_name": "Surface Laptop 5\n" });
    const xen = tree({ "sys/hypervisor/type": "xen\n" });
    try {
      assert.equal((await detectVirtualization(hv.fs)).hypervisor, "microsoft");
      assert.equal((await detectVirtualization(surface.fs)).vm, false);
      assert.deepEqual(await detectVirtualization(xen.fs), { vm: true, hypervisor: "xen", evidence: ['/sys/hypervisor/type "xen"'] });
    } finally {
      hv.remove();
      surface.remove();
      xen.remove();
    }
  });

  it("any text in the sources gives an answer, never a throw, with bounded evidence", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 400 }), fc.string({ maxLength: 400 }), fc.string({ maxLength: 100 }), async (cpuinfo, vendor, xen) => {
        const t = tree({ "proc/cpuinfo": cpuinfo, "sys/class/dmi/id/sys_vendor": vendor, "sys/hypervisor/type": xen });
        try {
          const v = await detectVirtualization(t.fs);
          assert.equal(v.vm, v.evidence.length > 0);
          for (const e of v.evidence) assert.ok(e.length < 120, e);
          assert.ok(["host", "guest"].includes(chooseRole("auto", v, false).role));
        } finally {
          t.remove();
        }
      }),
      { numRuns: 40 },
    );
  });

  it("machine UUID: DMI's links a guest; the nil UUID (a VM given none) does not and falls back", async () => {
    const uuid = "5b1e0c2a-9d4f-4e57-8a41-0c3d6f0e9b11";
    const dmi = tree({ "sys/class/dmi/id/product_uuid": uuid.toUpperCase() + "\n" });
    const nil = tree({ "sys/class/dmi/id/product_uuid": "00000000-0000-0000-0000-000000000000\n" });
    try {
      assert.deepEqual(await machineId(dmi.fs), { uuid, source: "dmi" });
      assert.notEqual((await machineId(nil.fs)).source, "dmi");
    } finally {
      dmi.remove();
      nil.remove();
    }
  });
});
