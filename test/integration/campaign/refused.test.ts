// A campaign whose setting one agent does not allow, on two namespaces joined by a bridge, with real agent
// processes: the server agent may change its own interface (as in the lab), the client agent may only run
// traffic. The cell fails with the client's refusal (kind, interface, config key), before any run; the client's
// interface is untouched, and the server's change is restored and verified.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { silentLogger } from "@eastwest/common";
import { BridgeTopology, removeLeftovers, type Topology } from "../../../cli/src/demo/topology.ts";
import { labActions } from "../../../cli/src/demo/lab.ts";
import { Collector } from "../../../collector/src/collector.ts";
import { loadCollectorConfig } from "../../../collector/src/config.ts";
import { validateSpec } from "../../../collector/src/campaign/manager.ts";
import { runCampaign } from "../../../collector/src/campaign/runner.ts";
import { killAll, requireBinary, start, tempDir } from "../../helpers/procs.ts";
import { makeCerts } from "../../helpers/certs.ts";

const PREFIX = "ewrf";

/** `ethtool -k IF` in namespace NS: the offload state, one "name: on|off" line each. */
function features(ns: string, ifname: string): string {
  return execFileSync("ip", ["netns", "exec", ns, "ethtool", "-k", ifname], { encoding: "utf8" });
}

const tsoOf = (text: string): string => /tcp-segmentation-offload: (\w+)/.exec(text)?.[1] ?? "?";

describe("campaign: a setting an agent does not allow", function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  let topo: BridgeTopology;
  let t: Topology;
  let collector: Collector;

  before(async () => {
    requireBinary("ip");
    requireBinary("ethtool");
    requireBinary("iperf3");
    assert.equal(process.getuid?.(), 0, "this test needs root");
    dir = tempDir("campaign-refused");
    await removeLeftovers(PREFIX);
    topo = new BridgeTopology({ prefix: PREFIX, net: "10.219.41", count: 2 });
    t = await topo.build();
    // why: the collector listens on the bridge, beyond loopback: mutual TLS, as the labs run it.
    const certs = await makeCerts(dir.path, [t.hostIp]);
    const tls = { ca: certs.ca, cert: certs.collector.cert, key: certs.collector.key };
    const config = loadCollectorConfig({ env: {}, flags: { id: "refused-collector", grpc: { host: t.hostIp, port: 0, tls }, http: { port: 0 }, store: { path: join(dir.path, "c.db") } } });
    collector = new Collector(config, silentLogger());
    await collector.start();
    const [client, server] = t.namespaces as [Topology["namespaces"][0], Topology["namespaces"][0]];
    const agent = async (id: string, ns: string, actions: Record<string, unknown>) =>
      start(["agent", "--id", id, "--role", "guest", "--collector", `${t.hostIp}:${collector.grpcPort}`, "--log-level", "warn", "--actions", JSON.stringify(actions), ...(await certs.agentArgs(id))], {
        prefix: ["ip", "netns", "exec", ns],
        env: { EASTWEST_SETTINGS_JOURNAL_DIR: join(dir.path, `journal-${id}`) },
      });
    await agent("ref-server", server.name, labActions("endpoint", server.ifname));
    await agent("ref-client", client.name, { traffic: true, hold: true });
    for (const id of ["ref-server", "ref-client"]) await collector.sessions.waitFor(id, 30_000);
  });
  after(async () => {
    await killAll();
    await collector?.stop();
    await topo?.teardown();
    dir?.remove();
  });

  it("fails the cell with the refusal before any run, restores the other agent, changes nothing on the refusing one", async () => {
    const [client, server] = t.namespaces as [Topology["namespaces"][0], Topology["namespaces"][0]];
    const before = { server: features(server.name, server.ifname), client: features(client.name, client.ifname) };
    assert.equal(tsoOf(before.server), "on", "veth starts with TSO on");
    const yaml = [
      "name: refused",
      "endpoints:",
      `  - server: { agentId: ref-server, interface: ${server.ifname} }`,
      `    client: { agentId: ref-client, interface: ${client.ifname} }`,
      `    serverAddress: ${server.ip}`,
      "duration_s: 1",
      "repetitions: { min: 1, max: 1, ci_target_pct: 50 }",
      "cells:",
      "  - { id: tso-off, name: TSO off, set: { tso: off } }",
      "",
    ].join("\n");
    const spec = await validateSpec(yaml, "yaml", collector.store);
    const rec = await runCampaign(spec, { sessions: collector.sessions, store: collector.store, logger: silentLogger(), constants: collector.constants });
    assert.equal(rec.status, "failed");
    const refusal = `apply on ref-client failed: refused: settings kind ethtool_feature on ${client.ifname} is not allowed by actions.settings`;
    assert.ok(rec.error?.includes(refusal), `campaign error: ${rec.error}`);
    const cell = rec.cells.find((c) => c.cell.id === "tso-off");
    assert.ok(cell, "the cell is recorded");
    assert.equal(cell.error, refusal);
    assert.deepEqual(cell.runs, [], "no run with half the settings");
    const byAgent = new Map(cell.restores.map((r) => [r.agentId, r]));
    const serverRestore = byAgent.get("ref-server");
    assert.ok(serverRestore?.ok && serverRestore.verified, `server restore: ${serverRestore?.detail}`);
    assert.match(serverRestore.detail, /tcp-segmentation-offload/, "the server's TSO was changed, then restored");
    assert.equal(tsoOf(features(server.name, server.ifname)), "on");
    assert.equal(features(server.name, server.ifname), before.server, "every offload of the server back as it was");
    assert.equal(features(client.name, client.ifname), before.client, "the refusing agent changed nothing");
  });
});
