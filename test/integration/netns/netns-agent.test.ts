// An agent inside a network namespace reports that namespace's netdev
// counters; they agree with `ip -s link` run in the same namespace.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { getJson, jsonLine, killAll, requireBinary, start, startProcess, tempDir, waitFor } from "../../helpers/procs.ts";
import { makeCerts } from "../../helpers/certs.ts";

const tag = String(process.pid % 100000);
const NS = `ewt-${tag}`;
const HOST_IF = `ewh${tag}`;
const NS_IF = `ewn${tag}`;
const HOST_IP = "10.213.7.1";
const NS_IP = "10.213.7.2";

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function nsLinkBytes(): { rx: number; tx: number } {
  const j = JSON.parse(ip("-n", NS, "-s", "-j", "link", "show", "dev", NS_IF)) as Array<{ stats64: { rx: { bytes: number }; tx: { bytes: number } } }>;
  const s = j[0]?.stats64;
  assert.ok(s, "ip -s -j link gave stats64");
  return { rx: s.rx.bytes, tx: s.tx.bytes };
}

function teardown(): void {
  try {
    ip("netns", "del", NS);
  } catch {
    /* not there */
  }
  try {
    ip("link", "del", HOST_IF);
  } catch {
    /* went with the namespace */
  }
}

describe("agent inside a network namespace", function () {
  this.timeout(90_000);
  let dir: ReturnType<typeof tempDir>;

  before(function () {
    requireBinary("ip");
    requireBinary("iperf3");
    assert.equal(process.getuid?.(), 0, "this test needs root (ip netns)");
    teardown();
    ip("netns", "add", NS);
    ip("link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF);
    ip("link", "set", NS_IF, "netns", NS);
    ip("addr", "add", `${HOST_IP}/30`, "dev", HOST_IF);
    ip("link", "set", HOST_IF, "up");
    ip("-n", NS, "addr", "add", `${NS_IP}/30`, "dev", NS_IF);
    ip("-n", NS, "link", "set", NS_IF, "up");
    ip("-n", NS, "link", "set", "lo", "up");
    dir = tempDir("netns");
  });

  after(async () => {
    await killAll();
    teardown();
    dir?.remove();
  });

  it("reports the namespace's veth counters within 2% of ip -s link", async () => {
    // why: the collector listens on the bridge address, beyond loopback, so over mutual TLS.
    const certs = await makeCerts(dir.path, [HOST_IP]);
    const col = start(["collector", "--grpc-host", HOST_IP, "--grpc-port", "0", "--http-port", "0", "--data", join(dir.path, "s.db"), "--log-level", "warn", ...certs.collectorArgs]);
    const ports = await jsonLine<{ grpc_port: number; http_port: number }>(col);
    const http = `http://127.0.0.1:${ports.http_port}`;
    start(["agent", "--id", "in-ns", "--collector", `${HOST_IP}:${ports.grpc_port}`, "--interval-ms", "200", "--log-level", "warn", ...(await certs.agentArgs("in-ns"))], { prefix: ["ip", "netns", "exec", NS] });
    const server = startProcess("iperf3", ["-s", "-B", HOST_IP, "-1", "--forceflush"]);
    // Traffic through the veth: 2 s of iperf3 from the namespace to the host side.
    await waitFor(() => (server.stdout().includes("listening") ? true : undefined), 10_000, "iperf3 server");
    execFileSync("ip", ["netns", "exec", NS, "iperf3", "-c", HOST_IP, "-t", "2", "-J"], { encoding: "utf8" });
    const agentInfo = await waitFor(() => getJson<{ agent: { netns: string } }>(`${http}/api/v1/agents/in-ns`), 20_000, "the namespace agent to register");
    const hostNetns = execFileSync("readlink", ["/proc/self/ns/net"], { encoding: "utf8" }).trim();
    assert.notEqual(agentInfo.agent.netns, hostNetns, "agent reports its own namespace");
    // Wait for a sample taken after the traffic ended, then read ip -s link.
    const after = Date.now();
    const row = await waitFor(async () => {
      const r = await getJson<{ rows: Array<{ timeNs: number; tags: Record<string, string>; fields: Record<string, number> }> }>(`${http}/api/v1/latest?measurement=netdev&agent_id=in-ns&tag.interface=${NS_IF}`);
      const x = r.rows[0];
      return x && Number(x.timeNs) / 1e6 > after + 300 ? x : undefined;
    }, 20_000, "a netdev sample after the traffic");
    const link = nsLinkBytes();
    const tx = Number(row.fields["tx_bytes_total"]);
    const rx = Number(row.fields["rx_bytes_total"]);
    assert.ok(tx > 10_000_000, `iperf3 moved data through ${NS_IF} (tx ${tx})`);
    assert.ok(Math.abs(tx - link.tx) / link.tx < 0.02, `tx ${tx} vs ip -s link ${link.tx}`);
    assert.ok(Math.abs(rx - link.rx) / link.rx < 0.02, `rx ${rx} vs ip -s link ${link.rx}`);
    // The host-side agent view would not even have this interface.
    const hostIfs = execFileSync("ip", ["-j", "link"], { encoding: "utf8" });
    assert.ok(!hostIfs.includes(`"${NS_IF}"`), "the namespace interface is not visible on the host");
  });
});
