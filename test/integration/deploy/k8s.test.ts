// deploy/k8s: the API's schema (offline, kubernetes-models), the invariants the
// agent and collector depend on, the references between objects, the configs
// against the programs' loaders; kubectl where it can work without a cluster.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { agentConfigOf, collectorConfigOf, DEPLOY, listDeploy, read, run, which, yamlDocs } from "./files.ts";
import { configMap, containerEnv, hostMounts, k8sObject, mountedSecretKey, podProblems, selectorProblems, service, serviceProblems, shapeProblems, workload, type ConfigMap, type K8sObject, type Workload } from "./k8s.ts";
import { typeCheckModels, validateModels } from "./k8s-schema.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const AGENT_CAPS = ["NET_ADMIN", "PERFMON", "SYS_ADMIN", "SYS_PTRACE", "DAC_READ_SEARCH", "SYS_NICE"];

interface Loaded {
  objects: { where: string; object: K8sObject }[];
  maps: ConfigMap[];
  workloads: Workload[];
}

function load(): Loaded {
  const objects: Loaded["objects"] = [];
  for (const rel of listDeploy("k8s", [".yaml"]).filter((f) => !f.endsWith("kustomization.yaml"))) {
    yamlDocs(rel).forEach((doc, i) => {
      const r = shapeProblems(k8sObject, doc, `${rel}#${i}`);
      assert.deepEqual(r.problems, []);
      objects.push({ where: `${rel}#${i} ${r.value?.kind}/${r.value?.metadata.name}`, object: r.value as K8sObject });
    });
  }
  const of = <T>(kinds: string[], schema: Parameters<typeof shapeProblems<T>>[0]): T[] =>
    objects.filter((o) => kinds.includes(o.object.kind)).map((o) => {
      const r = shapeProblems(schema, o.object, o.where);
      assert.deepEqual(r.problems, []);
      return r.value as T;
    });
  return { objects, maps: of<ConfigMap>(["ConfigMap"], configMap), workloads: of<Workload>(["DaemonSet", "Deployment", "StatefulSet"], workload) };
}

function find(l: Loaded, kind: string, name: string): Workload {
  const w = l.workloads.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(w, `${kind}/${name}`);
  return w;
}

describe("deploy: Kubernetes manifests", function () {
  this.timeout(60_000);
  let l: Loaded;
  before(() => (l = load()));

  it("every object is valid against the API schema (types, enums, required fields)", async () => {
    assert.ok(l.objects.length >= 9, `${l.objects.length} objects`);
    assert.deepEqual(await validateModels(l.objects), []);
  });

  it("no object has a field the API does not define (generated types, excess-property check)", () => {
    assert.deepEqual(typeCheckModels(l.objects, HERE), []);
  });

  it("everything but the Namespace lives in namespace eastwest; kustomization lists every file", () => {
    for (const { where, object } of l.objects) if (object.kind !== "Namespace") assert.equal(object.metadata.namespace, "eastwest", where);
    const kust = yamlDocs("k8s/kustomization.yaml")[0] as { resources: string[] };
    const files = readdirSync(join(DEPLOY, "k8s")).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    assert.deepEqual([...kust.resources].sort(), files.sort());
  });

  it("mounts, ConfigMap keys, selectors, Service ports and probe ports all resolve", () => {
    const problems: string[] = [];
    for (const w of l.workloads) {
      problems.push(...selectorProblems(w), ...podProblems(`${w.kind}/${w.metadata.name}`, w.spec.template.spec, l.maps, (w.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name)).problems);
    }
    for (const o of l.objects.filter((x) => x.object.kind === "Service")) {
      const r = shapeProblems(service, o.object, o.where);
      problems.push(...r.problems, ...(r.value ? serviceProblems(r.value, l.workloads) : []));
    }
    assert.deepEqual(problems, []);
  });

  it("agent DaemonSet: host PID and network, the sampler capabilities, the host mounts its config reads", () => {
    const ds = find(l, "DaemonSet", "eastwest-agent");
    const pod = ds.spec.template.spec;
    assert.equal(pod.hostPID, true);
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.dnsPolicy, "ClusterFirstWithHostNet");
    const c = pod.containers[0];
    assert.ok(c);
    assert.deepEqual([...(c.securityContext?.capabilities?.add ?? [])].sort(), [...AGENT_CAPS].sort());
    const mounts = hostMounts(pod, c);
    for (const [path, host] of [["/host/proc", "/proc"], ["/host/sys", "/sys"], ["/var/run/libvirt", "/var/run/libvirt"], ["/var/lib/libvirt/qemu", "/var/lib/libvirt/qemu"], ["/var/lib/eastwest", "/var/lib/eastwest"]]) {
      assert.equal(mounts.get(path as string)?.hostPath, host, `${path} <- hostPath ${host}`);
    }
    assert.equal(mounts.get("/host/proc")?.readOnly, false, "campaigns write sysctls through procRoot");
    const [cfg] = podProblems("agent", pod, l.maps).configs;
    assert.ok(cfg, "the agent's --config is a mounted ConfigMap key");
    const seed = c.env?.find((e) => e.name === "EASTWEST_NATS_NKEY_SEED_FILE")?.value?.replace("$(EASTWEST_AGENT_ID)", "node-1");
    assert.ok(seed && c.volumeMounts?.some((m) => seed.startsWith(`${m.mountPath}/`)), `each agent's NATS key (${seed}) is on a mounted volume`);
    const agent = agentConfigOf(cfg.text, { EASTWEST_AGENT_ID: "node-1", EASTWEST_NATS_NKEY_SEED_FILE: seed }, "ConfigMap eastwest-agent");
    assert.ok(agent.nats.tls?.ca && !agent.nats.insecure, "NATS over TLS with the node's key");
    assert.ok(mounts.has(agent.procRoot) && mounts.has(agent.sysRoot), `procRoot ${agent.procRoot} and sysRoot ${agent.sysRoot} are mounted`);
    assert.equal(agent.collector.transport, "nats");
  });

  it("collector Deployment: >= 2 replicas sharing JetStream, a config that loads, a readiness probe", () => {
    const d = find(l, "Deployment", "eastwest-collector");
    assert.ok((d.spec.replicas ?? 1) >= 2, `replicas ${d.spec.replicas}`);
    const pod = d.spec.template.spec;
    const [cfg] = podProblems("collector", pod, l.maps).configs;
    assert.ok(cfg, "the collector's --config is a mounted ConfigMap key");
    const config = collectorConfigOf(cfg.text, containerEnv(cfg.container), "ConfigMap eastwest-collector");
    assert.ok(config.nats.enabled, "replicas consume JetStream");
    assert.equal(config.nats.replicas, find(l, "StatefulSet", "nats").spec.replicas, "stream replicas = NATS servers");
    assert.equal(config.store.kind, "influx", "replicas share one store for points");
    assert.equal(config.http.host, "0.0.0.0", "probes and the Service reach the API");
    assert.equal(config.http.insecure, false);
    assert.deepEqual(mountedSecretKey(config.http.tokenFile, pod, cfg.container), { secretName: "eastwest-api-tokens", key: "api-tokens", optional: false }, `http.tokenFile ${config.http.tokenFile} is a key of a mounted Secret`);
    assert.equal(pod.containers[0]?.readinessProbe?.httpGet?.path, "/healthz", "the one route open without a token");
  });

  it("the NATS ConfigMap carries nats/nats-cluster.conf verbatim", () => {
    const cm = l.maps.find((m) => m.metadata.name === "nats");
    assert.equal(cm?.data["nats.conf"], read("nats/nats-cluster.conf"));
  });

  it("kubectl: the kustomization builds; apply --dry-run=client where a cluster answers", function () {
    const kubectl = which("kubectl");
    if (!kubectl) {
      console.warn("    kubectl is not installed: validated with the OpenAPI schema and the checks above instead");
      this.skip();
    }
    const built = run(kubectl, ["kustomize", join(DEPLOY, "k8s")]);
    assert.equal(built.code, 0, built.output);
    assert.equal(built.output.match(/^kind: /gm)?.length, l.objects.length);
    const reachable = run(kubectl, ["version", "--request-timeout=3s"], { timeoutMs: 10_000 }).code === 0;
    if (!reachable) {
      // why: a client dry-run still needs the API server's discovery and OpenAPI documents.
      console.warn("    no Kubernetes API server reachable: `kubectl apply --dry-run=client` skipped (schema checked offline above)");
      return;
    }
    const dry = run(kubectl, ["apply", "--dry-run=client", "-k", join(DEPLOY, "k8s")]);
    assert.equal(dry.code, 0, dry.output);
  });
});
