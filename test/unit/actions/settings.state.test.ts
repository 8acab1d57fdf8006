// Pure views of ethtool -k / tc qdisc show output and the argv arrays of the settings actions.
// The ethtool and tc texts are captures of a veth pair and a virtio-net eth0 (ethtool 6.1, iproute2 6.1, kernel 6.18).
import assert from "node:assert/strict";
import {
  ethtoolSetArgs, featureDiff, featureMap, groupOf, mtuArgs, qdiscDeleteArgs, qdiscReplaceArgs, renderFeature, renderQdisc,
  rootQdisc, sameQdisc, subFeatureFixArgs,
} from "../../../agent/src/actions/settings/settings.state.ts";

const VETH = `Features for ews1a:
rx-checksumming: on
tx-checksumming: on
\ttx-checksum-ipv4: off [fixed]
\ttx-checksum-ip-generic: on
\ttx-checksum-ipv6: off [fixed]
\ttx-checksum-fcoe-crc: off [fixed]
\ttx-checksum-sctp: on
scatter-gather: on
\ttx-scatter-gather: on
\ttx-scatter-gather-fraglist: on
tcp-segmentation-offload: on
\ttx-tcp-segmentation: on
\ttx-tcp-ecn-segmentation: on
generic-segmentation-offload: on
generic-receive-offload: off
large-receive-offload: off [fixed]
tx-nocache-copy: off
`;

/** The same after `ethtool -K ews1a tx off`: the kernel drops TSO (it needs checksumming) but keeps it requested. */
const VETH_TX_OFF = VETH.replace("tx-checksumming: on", "tx-checksumming: off")
  .replace("tx-checksum-ip-generic: on", "tx-checksum-ip-generic: off")
  .replace("tx-checksum-sctp: on", "tx-checksum-sctp: off")
  .replace("tcp-segmentation-offload: on", "tcp-segmentation-offload: off")
  .replace("tx-tcp-segmentation: on", "tx-tcp-segmentation: off [requested on]")
  .replace("tx-tcp-ecn-segmentation: on", "tx-tcp-ecn-segmentation: off [requested on]");

describe("settings state: ethtool -k", () => {
  it("keeps every feature with its aggregate", () => {
    const m = featureMap(VETH, "ethtool -k ews1a");
    assert.equal(Object.keys(m).length, 17);
    assert.deepEqual(m["tx-checksumming"], { on: true, fixed: false });
    assert.deepEqual(m["tx-checksum-ipv4"], { on: false, fixed: true, parent: "tx-checksumming" });
    assert.deepEqual(m["large-receive-offload"], { on: false, fixed: true });
    assert.deepEqual(groupOf(m, "scatter-gather"), ["scatter-gather", "tx-scatter-gather", "tx-scatter-gather-fraglist"]);
    assert.throws(() => featureMap("Features for x:\nnonsense line\n", "ethtool -k x"), /unexpected line/);
  });

  it("diffs two readings, renders requested states, and builds the sub-feature fix", () => {
    const before = featureMap(VETH, "a");
    const off = featureMap(VETH_TX_OFF, "b");
    assert.deepEqual(featureDiff(before, off), [
      "tcp-segmentation-offload", "tx-checksum-ip-generic", "tx-checksum-sctp", "tx-checksumming", "tx-tcp-ecn-segmentation", "tx-tcp-segmentation",
    ]);
    assert.equal(renderFeature(off, "tx-tcp-segmentation"), "off [requested on]");
    assert.equal(renderFeature(off, "nope"), "absent");
    assert.deepEqual(featureDiff(before, featureMap(VETH, "c")), []);
    const sctpOff = featureMap(VETH.replace("tx-checksum-sctp: on", "tx-checksum-sctp: off"), "d");
    assert.deepEqual(subFeatureFixArgs("ews1a", sctpOff, before), ["-K", "ews1a", "tx-checksum-sctp", "off"]);
    assert.equal(subFeatureFixArgs("ews1a", before, before), undefined);
  });

  it("builds ethtool -K argument arrays from the short names", () => {
    assert.deepEqual(ethtoolSetArgs("ews1a", "tx-checksumming", false), ["-K", "ews1a", "tx", "off"]);
    assert.deepEqual(ethtoolSetArgs("ews1a", "generic-receive-offload", true), ["-K", "ews1a", "gro", "on"]);
    assert.deepEqual(ethtoolSetArgs("ews1a", "tx-nocache-copy", true), ["-K", "ews1a", "tx-nocache-copy", "on"]);
  });
});

describe("settings state: tc qdisc show dev", () => {
  it("tells the kernel default root from one tc attached", () => {
    const veth = rootQdisc("qdisc noqueue 0: root refcnt 2 \n", "tc");
    assert.deepEqual(veth, { kind: "noqueue", handle: "0:", isDefault: true, options: "", children: 0 });
    const eth = rootQdisc("qdisc pfifo_fast 0: root refcnt 2 bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1\n", "tc");
    assert.equal(eth?.options, "bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1");
    const pfifo = rootQdisc("qdisc pfifo 8003: root refcnt 3 limit 1000p\nqdisc clsact ffff: parent ffff:fff1\n", "tc");
    assert.deepEqual(pfifo, { kind: "pfifo", handle: "8003:", isDefault: false, options: "limit 1000p", children: 0 });
    const prio = "bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1";
    const mq = rootQdisc(`qdisc mq 0: root \nqdisc pfifo_fast 0: parent :2 ${prio}\nqdisc pfifo_fast 0: parent :1 ${prio}\n`, "tc");
    assert.deepEqual([mq?.kind, mq?.isDefault, mq?.children], ["mq", true, 2]);
    assert.equal(rootQdisc("", "tc"), null);
    assert.equal(renderQdisc(veth), "noqueue (default)");
    assert.equal(renderQdisc(pfifo), "pfifo");
    assert.equal(renderQdisc(null), "none");
  });

  it("compares kind, default-ness and options, not the handle or refcnt", () => {
    const a = rootQdisc("qdisc noqueue 0: root refcnt 2\n", "tc");
    const b = rootQdisc("qdisc noqueue 8005: root refcnt 3\n", "tc");
    assert.equal(sameQdisc(a, rootQdisc("qdisc noqueue 0: root refcnt 3\n", "tc")), true);
    assert.equal(sameQdisc(a, b), false, "a tc-attached noqueue is not the kernel default");
    assert.equal(sameQdisc(null, null), true);
    assert.equal(sameQdisc(a, null), false);
  });

  it("builds tc and ip argument arrays", () => {
    assert.deepEqual(qdiscReplaceArgs("ews1a", "fq"), ["qdisc", "replace", "dev", "ews1a", "root", "fq"]);
    assert.deepEqual(qdiscDeleteArgs("ews1a"), ["qdisc", "del", "dev", "ews1a", "root"]);
    assert.deepEqual(mtuArgs("ews1a", 9000), ["link", "set", "dev", "ews1a", "mtu", "9000"]);
  });
});
