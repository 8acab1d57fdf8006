// Rates over the time between a source's own reads (the context's readClock), not between ticks: a read that comes
// 80 ms after its tick began (the host is loaded, the fs thread pool busy) must not make the interval 80 ms longer.
import assert from "node:assert/strict";
import type { SampleContext } from "../../../agent/src/samplers/types.ts";
import { TickContext } from "../../../agent/src/runtime/tick-context.ts";
import { RateMemory } from "../../../agent/src/samplers/shared/rates.ts";
import { captureProc, readStamp, readTime } from "../../../agent/src/samplers/shared/sources.ts";
import { netdevSampler } from "../../../agent/src/samplers/netdev/netdev.sampler.ts";
import { softnetSampler } from "../../../agent/src/samplers/softnet/softnet.sampler.ts";
import { guestPoints } from "../../../agent/src/samplers/vm/vm.points.ts";
import { libvirtGuest } from "../../../agent/src/samplers/vm/vm.domstats.ts";
import type { Guest } from "../../../agent/src/samplers/vm/vm.discover.ts";
import type { KvmRead } from "../../../agent/src/samplers/vm/vm.source.ts";
import { SECOND, T0, ctx, mapFs, pointWith } from "./helpers.ts";

const HEADER = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";
const netDev = (rx: number) => `${HEADER}  eth0: ${rx} 10 0 0 0 0 0 0 ${2 * rx} 20 0 0 0 0 0 0\n`;

/** A context at tick `nowNs` whose reads happen at `readNs` on its read clock (a clock of its own, like the monotonic one). */
function lateCtx(text: string, nowNs: bigint, readNs: bigint): SampleContext {
  return ctx(mapFs({ "net/dev": text }), nowNs, { readClock: () => readNs });
}

describe("samplers: rates over the reads' own times", () => {
  it("netdev: a read 80 ms late in its tick still gives the rate over the time between the reads", async () => {
    const s = netdevSampler();
    await s.sample(lateCtx(netDev(1_000_000), T0, 5n * SECOND + 10_000_000n));
    // between ticks 1 s, between reads 1.08 s, and the counter grew at 1 MB/s for those 1.08 s
    const r = await s.sample(lateCtx(netDev(2_080_000), T0 + SECOND, 6n * SECOND + 90_000_000n));
    const eth0 = pointWith(r.points, "netdev", "interface", "eth0");
    assert.equal(eth0.fields["rx_bytes_per_s"], 1_000_000);
    assert.equal(eth0.fields["tx_bytes_per_s"], 2_000_000);
    assert.equal(eth0.timeNs, T0 + SECOND, "the point keeps its tick's time");
  });

  it("without a read clock (a test's context) the interval is the ticks'", async () => {
    const s = netdevSampler();
    await s.sample(ctx(mapFs({ "net/dev": netDev(1_000_000) }), T0));
    const r = await s.sample(ctx(mapFs({ "net/dev": netDev(2_080_000) }), T0 + SECOND));
    assert.equal(pointWith(r.points, "netdev", "interface", "eth0").fields["rx_bytes_per_s"], 1_080_000);
  });

  it("a held capture is decoded with the time it was read, not the time it is decoded", async () => {
    const s = softnetSampler();
    const line = (processed: number) => `${processed.toString(16).padStart(8, "0")} 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n`;
    const c0 = lateCtx("", T0, 100n * SECOND);
    const c1 = lateCtx("", T0 + SECOND, 102n * SECOND);
    const fs = (processed: number) => mapFs({ "net/softnet_stat": line(processed) });
    const a = await s.capture!({ ...c0, fs: fs(1000) });
    const b = await s.capture!({ ...c1, fs: fs(5000) });
    assert.equal(readTime(a, c0), 100n * SECOND);
    await s.decode!(a, c0);
    const r = await s.decode!(b, c1);
    const p = r.points.find((x) => x.measurement === "softnet");
    assert.equal(p?.fields["processed_per_s"], 2000, "4,000 packets over the 2 s between the reads");
  });

  it("a capture's stamp is the midpoint of its read on the context's clock; none without a clock", async () => {
    let t = 1_000n;
    const c = ctx(mapFs({ "net/dev": netDev(1) }), T0, { readClock: () => (t += 500n) });
    const cap = await captureProc(c, "net/dev");
    assert.equal(cap.readNs, 1_750n, "read between 1,500 and 2,000");
    assert.equal((await captureProc(ctx(mapFs({ "net/dev": netDev(1) }), T0), "net/dev")).readNs, undefined);
    assert.equal(readStamp(ctx(mapFs({}), T0)).done(), undefined);
  });

  it("a tick's context reads the monotonic clock", () => {
    const tc = new TickContext({ options: {}, intervalMs: 1000 }, { fs: mapFs({}), exec: async () => ({ stdout: "", stderr: "" }), baseTags: {} }, T0, () => new AbortController().signal);
    const before = process.hrtime.bigint();
    const at = tc.readClock();
    assert.ok(at >= before && at <= process.hrtime.bigint(), `${at}`);
  });

  it("vm_kvm and vm_net: rates over the counters' read times (a late QMP reply, libvirt's domstats)", () => {
    const memory = new RateMemory(64);
    const guest = { pid: 100, name: "g", uuid: "u" } as Guest;
    const tick = (nowS: number, readS: number, exits: bigint) => {
      const readNs = BigInt(Math.round(readS * 1e9));
      const kvm: KvmRead = { kind: "qmp", accel: "kvm", vm: { counters: { exits }, gauges: {}, unknown: [] }, vcpuTids: new Map(), readNs };
      const nets = [{ name: "vnet0", counters: { rx_bytes: exits * 10n } }] as never;
      return guestPoints(ctx(mapFs({}), BigInt(nowS) * SECOND), memory, { guest, kvm, threads: [], tasks: 1, nets, netsReadNs: readNs });
    };
    tick(10, 10.01, 1_000n);
    // the reply of the next tick's session came 300 ms into it: 1.29 s after the last, at 1,000 exits a second
    const points = tick(11, 11.3, 2_290n);
    assert.equal(points.find((p) => p.measurement === "vm_kvm")?.fields["exits_per_s"], 1000);
    assert.equal(points.find((p) => p.measurement === "vm_net")?.fields["rx_bytes_per_s"], 10_000);
  });

  it("libvirt's domstats read time reaches the guest's KVM counters and its interfaces", () => {
    const text = { name: "d", values: new Map([["net.count", "0"]]) } as never;
    const lv = libvirtGuest({ ok: true, domains: new Map([["d", text]]), problems: [], readNs: 42n }, "qemu:///system", "d", "tcg");
    assert.equal(lv.readNs, 42n);
    assert.equal(lv.kvm?.readNs, 42n);
    assert.equal(libvirtGuest({ ok: true, domains: new Map([["d", text]]), problems: [] }, "qemu:///system", "d", "tcg").readNs, undefined);
  });
});
