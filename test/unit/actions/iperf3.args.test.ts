import assert from "node:assert/strict";
import type { Iperf3Client, Iperf3Server } from "@eastwest/proto";
import { clientArgs, clientProblems, parseAvailableCongestion, serverArgs, serverProblems } from "../../../agent/src/actions/iperf3/iperf3.args.ts";

const CLIENT: Iperf3Client = { server: "127.0.0.1", port: 5201, durationS: 10, streams: 1, lengthBytes: 0, congestion: "", reverse: false, bidir: false };
const AVAILABLE = ["reno", "cubic", "bbr"];

describe("iperf3 arguments", () => {
  it("builds the server argv: one-off, JSON, port, optional bind", () => {
    assert.deepEqual(serverArgs({ port: 5201, bind: "", oneOffTimeoutMs: 0 }), ["-s", "-1", "-J", "-p", "5201"]);
    assert.deepEqual(serverArgs({ port: 1, bind: "fd00::1", oneOffTimeoutMs: 0 }), ["-s", "-1", "-J", "-p", "1", "-B", "fd00::1"]);
  });

  it("builds the client argv with only the options that are set", () => {
    assert.deepEqual(clientArgs(CLIENT), ["-c", "127.0.0.1", "-p", "5201", "-t", "10", "-P", "1", "-J"]);
    assert.deepEqual(clientArgs({ ...CLIENT, streams: 4, lengthBytes: 65536, congestion: "bbr", reverse: true }), [
      "-c", "127.0.0.1", "-p", "5201", "-t", "10", "-P", "4", "-l", "65536", "-C", "bbr", "-R", "-J",
    ]);
    assert.deepEqual(clientArgs({ ...CLIENT, bidir: true }).slice(-2), ["--bidir", "-J"]);
  });

  it("accepts the bounds", () => {
    assert.deepEqual(serverProblems({ port: 65535, bind: "::1", oneOffTimeoutMs: 1 }), []);
    assert.deepEqual(clientProblems({ ...CLIENT, port: 1, durationS: 3600, streams: 128, lengthBytes: 16 * 1024 * 1024, congestion: "cubic" }, AVAILABLE), []);
    assert.deepEqual(clientProblems({ ...CLIENT, durationS: 1, lengthBytes: 1 }, new Error("unread")), [], "the list is read only for a congestion name");
  });

  it("reports every server problem at once", () => {
    assert.deepEqual(serverProblems({ port: 0, bind: "localhost", oneOffTimeoutMs: 1e9 }), [
      "port: expected an integer in 1..65535, got 0",
      'bind: expected an IPv4 or IPv6 literal, got "localhost"',
      "one_off_timeout_ms: expected an integer in 1..3900000, got 1000000000",
    ]);
  });

  it("reports every client problem at once", () => {
    const bad: Iperf3Client = { server: "1.2.3.4; rm -rf /", port: 65536, durationS: 0, streams: 129, lengthBytes: 16 * 1024 * 1024 + 1, congestion: "", reverse: true, bidir: true };
    assert.deepEqual(clientProblems(bad, AVAILABLE), [
      'server: expected an IPv4 or IPv6 literal, got "1.2.3.4; rm -rf /"',
      "port: expected an integer in 1..65535, got 65536",
      "duration_s: expected an integer in 1..3600, got 0",
      "streams: expected an integer in 1..128, got 129",
      "length_bytes: expected an integer in 1..16777216, got 16777217",
      "reverse and bidir are exclusive: set at most one",
    ]);
    assert.deepEqual(clientProblems({ ...CLIENT, server: "" }, AVAILABLE), ['server: expected an IPv4 or IPv6 literal, got ""']);
    assert.deepEqual(clientProblems({ ...CLIENT, durationS: 1.5, streams: Number.NaN }, AVAILABLE), [
      "duration_s: expected an integer in 1..3600, got 1.5",
      "streams: expected an integer in 1..128, got null",
    ]);
  });

  it("checks congestion by name shape, then against the host's available list", () => {
    const problems = (congestion: string, available: string[] | Error = AVAILABLE) => clientProblems({ ...CLIENT, congestion }, available);
    assert.match(problems("cubic; reboot")[0] ?? "", /^congestion: expected a name matching/);
    assert.match(problems("-R")[0] ?? "", /^congestion: expected a name matching/);
    assert.match(problems("a_very_long_name_x")[0] ?? "", /^congestion: expected a name matching/);
    assert.deepEqual(problems("nosuch"), ['congestion: "nosuch" is not available on this host (available: reno cubic bbr)']);
    assert.deepEqual(problems("cubic", new Error("ENOENT")), ["congestion: cannot read the available algorithms: ENOENT"]);
    assert.deepEqual(parseAvailableCongestion("reno cubic\tbbr\n"), AVAILABLE);
  });
});
