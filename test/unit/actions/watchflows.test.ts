import assert from "node:assert/strict";
import { silentLogger } from "@eastwest/common";
import type { Command, FlowFilter } from "@eastwest/proto";
import { handleCommand, type CommandDeps } from "../../../agent/src/actions/dispatch.ts";
import { MONITOR_ONLY } from "../../../agent/src/actions/policy.ts";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import type { Exec } from "../../../agent/src/runtime/exec.ts";
import type { Scheduler } from "../../../agent/src/runtime/scheduler.ts";
import type { Availability } from "../../../agent/src/samplers/types.ts";
import { fakeSampler, harness } from "../runtime/fakes.ts";

const noExec: Exec = async (file) => {
  throw new Error(`unexpected exec of ${file}`);
};

function deps(scheduler: Scheduler | undefined): CommandDeps {
  return { policy: MONITOR_ONLY, scheduler, logger: silentLogger(), exec: noExec, fs: hostFs(), calibrate: async () => undefined };
}

function watch(flows: Array<Partial<FlowFilter>>, forMs: number): Command {
  return { id: "w1", deadlineMs: 0, kind: { $case: "watchFlows", value: { flows: flows.map((f) => ({ port: 0, address: "", ...f })), forMs } } };
}

const CONFIGURED = { flows: [{ port: 22 }], maxFlows: 8 };

async function started(init?: () => Promise<Availability>) {
  const tcpinfo = fakeSampler("tcpinfo", init ? { init } : {});
  const h = harness([{ sampler: tcpinfo.sampler, intervalMs: 20, options: CONFIGURED }]);
  await h.scheduler.init();
  h.scheduler.start();
  return { tcpinfo, h };
}

describe("watchFlows", () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it("points tcpinfo at the given flows for forMs, then back at the configured flows", async () => {
    const { tcpinfo, h } = await started();
    stop = () => h.scheduler.stop();
    const r = await handleCommand(watch([{ port: 5201 }, { address: "127.0.0.1", port: 5202 }, { address: "fd00::2" }], 150), deps(h.scheduler));
    assert.equal(r.ok, true, r.error);
    const flows = [{ port: 5201 }, { port: 5202, address: "127.0.0.1" }, { address: "fd00::2" }];
    assert.deepEqual(JSON.parse(r.json), { sampler: "tcpinfo", flows, forMs: 150 });
    assert.deepEqual(h.scheduler.options("tcpinfo"), { flows, maxFlows: 8 }, "other options stay as configured");
    await h.until(() => tcpinfo.seen.some((o) => JSON.stringify(o["flows"]) === JSON.stringify(flows)), "a tick watching the run's flows");
    const at = tcpinfo.seen.length;
    await h.until(() => tcpinfo.seen.length > at && tcpinfo.seen.at(-1) === CONFIGURED, "a tick back on the configured flows");
  });

  it("validates flows like the tcpinfo sampler, reporting every problem", async () => {
    const { h } = await started();
    stop = () => h.scheduler.stop();
    const r = await handleCommand(watch([{ port: 70000 }, { address: "999.1.1.1" }, { address: "fe80::1%eth0" }, {}], 0), deps(h.scheduler));
    assert.equal(r.ok, false);
    assert.equal(
      r.error,
      "invalid watch_flows command: flows[0].port: expected an integer in 1..65535, got 70000; " +
        'flows[1].address: expected an IPv4 or IPv6 literal, got "999.1.1.1"; ' +
        'flows[2].address: expected an IPv4 or IPv6 literal, got "fe80::1%eth0"; ' +
        "flows[3]: needs a port, an address or both",
    );
    assert.equal(h.scheduler.options("tcpinfo"), CONFIGURED, "nothing changed");
  });

  it("fails clearly when tcpinfo is absent or unavailable", async () => {
    const { h } = await started(async () => ({ available: false, reason: "unavailable: ss not found" }));
    stop = () => h.scheduler.stop();
    let r = await handleCommand(watch([{ port: 5201 }], 0), deps(h.scheduler));
    assert.equal(r.error, "tcpinfo is unavailable: ss not found");
    r = await handleCommand(watch([{ port: 5201 }], 0), deps(undefined));
    assert.match(r.error, /^no sampler named tcpinfo/);
  });
});
