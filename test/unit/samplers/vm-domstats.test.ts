// vm sampler, libvirt-owned guests: `virsh domstats --raw` parsing and mapping on real captures
// (test/fixtures/libvirt/META), hostile text, and the virsh runner's failures and back-off.
import assert from "node:assert/strict";
import fc from "fast-check";
import { CommandError } from "@eastwest/common";
import { realExec, type Exec } from "../../../agent/src/runtime/exec.ts";
import { domainStats, parseDomstats } from "../../../agent/src/samplers/vm/vm.domstats.parse.ts";
import { DomstatsReader, domstatsArgs, libvirtGuest, virshReason, type DomstatsTick } from "../../../agent/src/samplers/vm/vm.domstats.ts";
import { SECOND, T0, ctx, fixture, mapFs } from "./helpers.ts";

const KVM = "ewcap-kvm-32021";
const TCG = "ewcap-qemu-32021";
const URI = "qemu:///system";
const text = (name: string): string => fixture("libvirt", name);

/** The integer value of `key` in the captured text of `domain`. */
function captured(file: string, domain: string, key: string): bigint {
  const block = text(file).split(/\n\n/).find((b) => b.startsWith(`Domain: '${domain}'`)) ?? "";
  const line = block.split("\n").find((l) => l.trim().startsWith(`${key}=`));
  assert.ok(line, `${key} in ${file} ${domain}`);
  return BigInt(line.split("=")[1] as string);
}

function tickOf(file: string): DomstatsTick {
  const parsed = parseDomstats(text(file));
  return { ok: true, domains: new Map(parsed.domains.map((d) => [d.name, d])), problems: parsed.problems };
}

describe("vm sampler: virsh domstats (captured, libvirt 9.0)", () => {
  it("parses every capture into its domains without a problem", () => {
    for (const file of ["domstats-t0.txt", "domstats-t1.txt", "domstats-paused.txt"]) {
      const r = parseDomstats(text(file));
      assert.deepEqual(r.problems, [], file);
      assert.deepEqual(r.domains.map((d) => d.name), [TCG, KVM], file);
    }
  });

  it("the kvm domain: per-vCPU KVM stats by vCPU id, VM-wide stats, its tap, state; booleans are not counters", () => {
    const kvm = parseDomstats(text("domstats-t1.txt")).domains.find((d) => d.name === KVM);
    const s = domainStats(kvm?.values ?? new Map());
    assert.deepEqual(s.problems, []);
    assert.deepEqual([s.vcpus, s.state], [2, 1]);
    assert.deepEqual(s.vcpuStats.map((v) => v.index), [0, 1]);
    assert.equal(s.vcpuStats[0]?.stats["exits"], captured("domstats-t1.txt", KVM, "vcpu.0.exits.sum"));
    assert.equal(s.vcpuStats[1]?.stats["halt_wait_ns"], captured("domstats-t1.txt", KVM, "vcpu.1.halt_wait_ns.sum"));
    assert.equal(s.vcpuStats[0]?.stats["blocking"], undefined, "blocking.cur=no is a boolean");
    assert.equal(s.vmStats["remote_tlb_flush_requests"], captured("domstats-t1.txt", KVM, "vm.remote_tlb_flush_requests.sum"));
    assert.equal(s.vmStats["pages_4k"], 0n);
    assert.deepEqual(s.nets.map((n) => n.name), ["ewckvm32021"]);
    assert.equal(s.nets[0]?.counters.rx_bytes, captured("domstats-t1.txt", KVM, "net.0.rx.bytes"));
    assert.equal(s.nets[0]?.counters.tx_packets, captured("domstats-t1.txt", KVM, "net.0.tx.pkts"));
  });

  it("maps the kvm domain to vcpu and VM counters (the VM's exits are its vCPUs' sum), the tcg one to the tcg reason", () => {
    const tick = tickOf("domstats-t1.txt");
    const kvm = libvirtGuest(tick, URI, KVM, "kvm");
    assert.equal(kvm.kvm?.kind, "libvirt");
    assert.equal(kvm.reason, undefined);
    const exits = (i: number): bigint => captured("domstats-t1.txt", KVM, `vcpu.${i}.exits.sum`);
    assert.deepEqual(kvm.kvm?.vcpus?.map((v) => v.values.counters["exits"]), [exits(0), exits(1)]);
    assert.equal(kvm.kvm?.vm?.counters["exits"], exits(0) + exits(1));
    assert.equal(kvm.kvm?.vm?.gauges["mmu_unsync"], 0n);
    assert.ok(kvm.kvm?.vm?.unknown.includes("mmu_kicks_spared"), "a VM stat not in the schema is named");
    assert.ok(kvm.kvm?.vcpus?.[0]?.values.unknown.includes("pf_parked"), "a vCPU stat not in the schema is named");

    const tcg = libvirtGuest(tick, URI, TCG, "tcg");
    assert.deepEqual([tcg.kvm?.kind, tcg.kvm?.reason, tcg.reason], ["unavailable", "no KVM stats: VM runs under tcg", undefined]);
    assert.deepEqual(tcg.nets.map((n) => [n.name, n.counters.rx_bytes]), [["ewcqemu32021", captured("domstats-t1.txt", TCG, "net.0.rx.bytes")]]);
  });

  it("a kvm guest libvirt has no KVM stats for, a domain libvirt does not know, and a failed tick give reasons, no counters", () => {
    const noStats = libvirtGuest(tickOf("domstats-t1.txt"), URI, TCG, "kvm");
    assert.equal(noStats.kvm, undefined);
    assert.match(noStats.reason ?? "", /^libvirt qemu:\/\/\/system: no KVM stats for "ewcap-qemu-32021"/);
    assert.equal(libvirtGuest(tickOf("domstats-t1.txt"), URI, "other", "kvm").reason, 'libvirt qemu:///system: no running domain "other"');
    assert.deepEqual(libvirtGuest({ ok: false, reason: "why" }, URI, KVM, "kvm"), { kvm: undefined, reason: "why", nets: [], problems: [] });
  });

  it("names virsh's own error line", () => {
    const err = (stderr: string): CommandError => new CommandError("virsh -c x domstats: Command failed", 1, stderr);
    assert.equal(virshReason(err(text("stderr-no-domain.txt"))), "virsh domstats: failed to get domain 'nosuch'");
    assert.equal(virshReason(err(text("stderr-no-driver.txt"))), "virsh domstats: internal error: unexpected qemu URI path '/nosuchdriver', try qemu:///system");
    assert.equal(virshReason(err("")), "virsh -c x domstats: Command failed");
    assert.deepEqual(domstatsArgs(URI, ["-a"]), ["-c", URI, "domstats", "--raw", "--vcpu", "--vm", "--interface", "--state", "--", "-a"]);
  });
});

describe("vm sampler: virsh domstats, hostile text", () => {
  it("any text gives domains and problems, never a throw; any values give stats in u64", () => {
    const kvm = text("domstats-t1.txt");
    const mangled = fc.tuple(fc.nat({ max: kvm.length }), fc.nat({ max: kvm.length }), fc.string({ maxLength: 30 })).map(([a, b, s]) => kvm.slice(0, a) + s + kvm.slice(b));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), mangled), (t) => {
        const r = parseDomstats(t);
        assert.ok(r.problems.length <= 6);
        for (const d of r.domains) {
          const s = domainStats(d.values);
          const all = [...s.vcpuStats.flatMap((v) => Object.values(v.stats)), ...Object.values(s.vmStats), ...s.nets.flatMap((n) => Object.values(n.counters))];
          for (const v of all) assert.ok(typeof v === "bigint" && v >= 0n && v < 1n << 64n);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a counter that is not a u64 is a problem, not a value", () => {
    const s = domainStats(new Map([["vcpu.0.exits.sum", "-1"], ["vm.pages_4k.cur", "18446744073709551616"], ["net.0.rx.bytes", "1e3"], ["vcpu.0.io_exits.sum", "18446744073709551615"]]));
    assert.deepEqual(s.vcpuStats, [{ index: 0, stats: { io_exits: (1n << 64n) - 1n } }]);
    assert.deepEqual([s.vmStats, s.nets[0]?.counters], [{}, {}]);
    assert.equal(s.problems.length, 3);
  });

  it("printed domains parse back to the same pairs", () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9_.]{0,20}$/);
    const value = fc.stringMatching(/^[^\n\r]{0,20}$/);
    const domain = fc.record({ name: fc.stringMatching(/^[^\n\r]{0,20}$/), pairs: fc.uniqueArray(fc.tuple(key, value), { selector: (p) => p[0], maxLength: 8 }) });
    fc.assert(
      fc.property(fc.uniqueArray(domain, { selector: (d) => d.name, maxLength: 4 }), (domains) => {
        const printed = domains.map((d) => [`Domain: '${d.name}'`, ...d.pairs.map(([k, v]) => `  ${k}=${v}`)].join("\n")).join("\n\n");
        const r = parseDomstats(`${printed}\n`);
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.domains.map((d) => [d.name, [...d.values]]), domains.map((d) => [d.name, d.pairs]));
      }),
      { numRuns: 200 },
    );
  });
});

describe("vm sampler: running virsh", () => {
  const c = (nowNs: bigint, exec: Exec) => ({ ...ctx(mapFs({}), nowNs), exec });

  it("a missing virsh is a reason, backed off (1 s, then 2 s), not an exec per tick", async () => {
    let calls = 0;
    const missing: Exec = (_file, args, o) => {
      calls++;
      return realExec("eastwest-no-such-virsh", args, o);
    };
    const r = new DomstatsReader();
    const first = await r.read(c(T0, missing), URI, [KVM]);
    assert.deepEqual(first, { ok: false, reason: "libvirt qemu:///system: eastwest-no-such-virsh: not found" });
    assert.deepEqual(await r.read(c(T0 + SECOND / 2n, missing), URI, [KVM]), first);
    assert.equal(calls, 1);
    await r.read(c(T0 + SECOND, missing), URI, [KVM]);
    await r.read(c(T0 + 2n * SECOND, missing), URI, [KVM]);
    assert.equal(calls, 2, "the second failure waits 2 s");
  });

  it("a domain gone since discovery: asks again for every running domain", async () => {
    const seen: string[][] = [];
    const exec: Exec = async (_file, args) => {
      seen.push([...args]);
      if (!args.includes("--list-active")) throw new CommandError("virsh: exit 1", 1, "error: failed to get domain 'gone'\n");
      return { stdout: text("domstats-t0.txt"), stderr: "" };
    };
    const tick = await new DomstatsReader().read(c(T0, exec), URI, ["gone", KVM]);
    assert.ok(tick.ok);
    assert.deepEqual([...tick.domains.keys()], [TCG, KVM]);
    assert.deepEqual(seen.map((a) => a.at(-1)), [KVM, "--list-active"]);
  });
});
