// deploy/: every YAML parses; the compose file, systemd units, NATS files and
// Dockerfile are checked against their schemas and tools where this machine
// has them, and against the programs' own config loaders. Kubernetes: k8s.test.ts.
import assert from "node:assert/strict";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isLoopback } from "../../../collector/src/http/config.ts";
import { parseTokenFile } from "../../../collector/src/http/tokens.ts";
import { bindMounts, composeSchemaProblems, literalEnv, secretMounts, type ComposeService } from "./compose.ts";
import { agentConfigOf, collectorConfigOf, DEPLOY, listDeploy, read, REPO, run, which, yamlDocs } from "./files.ts";
import { analyzeUnits, INSTALLED_CLI, jetStreamLeader, natsConfigFor, startNatsCluster } from "./tools.ts";

const AGENT_CAPS = ["CAP_NET_ADMIN", "CAP_PERFMON", "CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH", "CAP_SYS_NICE"];

/** key=value lines of a unit's [Service] section (last one wins, as systemd does for these keys). */
function serviceKeys(rel: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = "";
  for (const line of read(rel).split("\n")) {
    const s = /^\[(\w+)\]$/.exec(line.trim());
    if (s) section = s[1] as string;
    const kv = /^(\w+)=(.*)$/.exec(line);
    if (kv && section === "Service") out.set(kv[1] as string, kv[2] as string);
  }
  return out;
}

describe("deploy: files", () => {
  it("every YAML file under deploy/ parses (strict, unique keys)", () => {
    const files = listDeploy(".", [".yaml", ".yml"]);
    assert.ok(files.length >= 12, `only ${files.length} YAML files: ${files.join(", ")}`);
    for (const f of files) assert.ok(yamlDocs(f).length >= 1, f);
  });

  it("the systemd configs pass the programs' config loaders", () => {
    const agent = agentConfigOf(read("config/agent.yaml"), {}, "config/agent.yaml");
    assert.equal(agent.role, "host");
    const collector = collectorConfigOf(read("config/collector.yaml"), {}, "config/collector.yaml");
    assert.match(collector.store.path, /^\/var\/lib\/eastwest\//, "the store lives in the unit's StateDirectory");
    assert.ok(isLoopback(collector.http.host) && !collector.http.insecure, `the API stays on loopback (${collector.http.host}); the local CLI uses the collector's own token`);
    assert.ok(collector.http.localToken);
  });

  it("the package's default configs load and keep everything on loopback", () => {
    const collector = collectorConfigOf(read("package/collector.yaml"), {}, "package/collector.yaml");
    assert.ok(isLoopback(collector.grpc.host) && isLoopback(collector.http.host), `${collector.grpc.host}, ${collector.http.host}`);
    assert.match(collector.store.path, /^\/var\/lib\/eastwest\//);
    const agent = agentConfigOf(read("package/agent.yaml"), {}, "package/agent.yaml");
    assert.ok(isLoopback(agent.collector.address.replace(/:\d+$/, "")), agent.collector.address);
  });
});

describe("deploy: compose", () => {
  const doc = () => yamlDocs("compose.yaml")[0] as { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };

  it("is valid against the Compose Specification schema", () => {
    assert.deepEqual(composeSchemaProblems(doc()), []);
  });

  it("has nats (-js, sync_interval: always), influxdb, grafana (provisioning mounted) and the collector", () => {
    const s = doc().services;
    for (const name of ["nats", "influxdb", "grafana", "collector"]) assert.ok(s[name], `service ${name}`);
    assert.ok(s["nats"]?.command?.includes("-js"), "nats command has -js");
    const conf = s["nats"]?.command?.[(s["nats"]?.command?.indexOf("-c") ?? -2) + 1];
    const natsConf = [...bindMounts(s["nats"] as ComposeService)].find(([, target]) => target === conf)?.[0];
    assert.ok(natsConf, `nats -c ${conf} is a bind-mounted file`);
    assert.match(read(natsConf), /^\s*sync_interval:\s*always\s*$/m);
    assert.match(s["nats"]?.image ?? "", /^nats:2\.(1\d|[2-9]\d)/, "nats >= 2.10 (sync_interval)");
    const grafana = bindMounts(s["grafana"] as ComposeService);
    assert.equal(grafana.get("../grafana/provisioning"), "/etc/grafana/provisioning");
    assert.equal(grafana.get("../grafana/dashboards"), s["grafana"]?.environment?.["EASTWEST_DASHBOARDS"]);
    assert.equal(s["collector"]?.build?.dockerfile, "deploy/Dockerfile");
    assert.ok(existsSync(join(DEPLOY, s["collector"]?.build?.context ?? "?", "deploy/Dockerfile")), "build context holds deploy/Dockerfile");
  });

  it("bind mounts exist; named volumes are declared; dependencies are services", () => {
    const d = doc();
    for (const [name, svc] of Object.entries(d.services)) {
      for (const [host] of bindMounts(svc)) if (host.startsWith(".")) assert.ok(existsSync(resolve(DEPLOY, host)), `${name}: ${host} does not exist`);
      for (const v of svc.volumes ?? []) {
        const src = v.split(":")[0] as string;
        if (!src.startsWith(".") && !src.startsWith("/")) assert.ok(d.volumes && src in d.volumes, `${name}: volume ${src} is not declared`);
      }
      for (const dep of Object.keys(svc.depends_on ?? {})) assert.ok(d.services[dep], `${name} depends on unknown ${dep}`);
    }
  });

  it("promtool accepts the compose stack's Prometheus configuration", () => {
    const promtool = which("promtool");
    if (!promtool) throw new Error("required binary promtool is missing: install it (Debian package prometheus)");
    const r = run(promtool, ["check", "config", join(DEPLOY, "compose/prometheus.yml")]);
    assert.equal(r.code, 0, r.output);
  });

  it("the collector and agent configs load, and name the stack's services", () => {
    const s = doc().services;
    const collector = collectorConfigOf(read("compose/collector.yaml"), literalEnv(s["collector"] as ComposeService), "compose/collector.yaml");
    assert.equal(collector.store.kind, "influx");
    assert.equal(new URL(collector.store.influx.url).hostname, "influxdb");
    assert.equal(collector.store.influx.db, s["grafana"]?.environment?.["INFLUX_DB"], "Grafana reads the database the collector writes");
    assert.equal(collector.store.influx.db, s["influxdb"]?.environment?.["INFLUXDB_DB"]);
    assert.ok(collector.nats.enabled && collector.nats.servers.every((u) => new URL(u).hostname === "nats"));
    const sink = collector.sinks.find((k) => k.kind === "prometheus");
    assert.equal(sink && new URL(sink.url).hostname, "prometheus", "the PromQL dashboards read what the collector pushes");
    assert.match((s["prometheus"] as ComposeService & { command?: string[] }).command?.join(" ") ?? "", /--web\.enable-remote-write-receiver/);
    assert.equal(new URL(s["grafana"]?.environment?.["PROMETHEUS_URL"] ?? "x:").hostname, "prometheus");
    assert.equal(collector.http.host, "0.0.0.0", "the published API port must reach the collector");
    assert.equal(collector.http.insecure, false);
    const tokens = [...secretMounts(s["collector"] as ComposeService)].find(([, path]) => path === collector.http.tokenFile)?.[0];
    assert.ok(tokens, `http.tokenFile ${collector.http.tokenFile} is a secret of the collector service`);
    const file = (doc() as { secrets?: Record<string, { file?: string }> }).secrets?.[tokens]?.file ?? "?";
    assert.deepEqual(parseTokenFile(read(file), file).problems, [], "the shipped token file is valid (and holds no token)");
    for (const [name, svc] of Object.entries(s)) for (const p of (svc as { ports?: string[] }).ports ?? []) assert.match(p, /^127\.0\.0\.1:/, `${name} publishes ${p} on loopback only`);
    const agent = agentConfigOf(read("compose/agent.yaml"), {}, "compose/agent.yaml");
    const mounts = bindMounts(s["agent"] as ComposeService);
    assert.equal(mounts.get("/proc"), agent.procRoot);
    assert.equal(mounts.get("/sys"), agent.sysRoot);
  });
});

describe("deploy: systemd units", function () {
  this.timeout(60_000);
  const units = [
    { rel: "systemd/eastwest-agent.service", command: "agent", config: "/etc/eastwest/agent.yaml", maxExposure: 5 },
    { rel: "systemd/eastwest-collector.service", command: "collector", config: "/etc/eastwest/collector.yaml", maxExposure: 2.5 },
  ];

  it("run the installed CLI with their config, as user eastwest, not restarting on exit 64 or 78", () => {
    for (const u of units) {
      const k = serviceKeys(u.rel);
      assert.equal(k.get("ExecStart"), `${INSTALLED_CLI} ${u.command} --config ${u.config}`, u.rel);
      assert.equal(k.get("User"), "eastwest", u.rel);
      assert.equal(k.get("RestartPreventExitStatus"), "64 78", u.rel);
      assert.equal(k.get("StateDirectory"), "eastwest", u.rel);
    }
    assert.match(read("systemd/eastwest.sysusers.conf"), /^u eastwest /m);
    const cli = read("bin/eastwest");
    assert.match(cli, /lib="\$\{here%\/bin\}\/lib\/eastwest"/, "it finds the package's lib beside its real path");
    assert.match(cli, /"\$lib\/lib\/eastwest\.mjs" "\$@"$/m, "it runs the packaged CLI (scripts/build-dist.ts)");
    accessSync(join(DEPLOY, "bin/eastwest"), constants.X_OK);
  });

  it("agent capabilities: ambient = bounding = the README table; the collector has none", () => {
    const agent = serviceKeys(units[0]!.rel);
    assert.deepEqual(agent.get("AmbientCapabilities")?.split(/\s+/).sort(), [...AGENT_CAPS].sort());
    assert.deepEqual(agent.get("CapabilityBoundingSet")?.split(/\s+/).sort(), [...AGENT_CAPS].sort());
    const table = read("README.md").split("\n").filter((l) => /^\| `CAP_\w+` \|/.test(l)).map((l) => /`(CAP_\w+)`/.exec(l)?.[1]);
    assert.deepEqual(table.sort(), [...AGENT_CAPS].sort(), "deploy/README.md capability table");
    const collector = serviceKeys(units[1]!.rel);
    assert.equal(collector.get("CapabilityBoundingSet"), "");
    assert.equal(collector.get("AmbientCapabilities"), "");
  });

  it("systemd-analyze verify and security --offline accept them", function () {
    const tool = which("systemd-analyze");
    if (!tool) {
      // Validated instead: the unit keys above (ExecStart, user, capabilities against the README).
      console.warn("    systemd-analyze is not installed: units checked by key only (ExecStart, User, capabilities)");
      this.skip();
    }
    assert.deepEqual(analyzeUnits(tool, units), []);
  });
});

describe("deploy: Dockerfile", () => {
  const text = () => read("Dockerfile");
  const arg = (name: string) => new RegExp(`^ARG ${name}=(\\S+)$`, "m").exec(text())?.[1];

  it("adds the package's tarball, named as scripts/package.ts names it, at package.json's version", () => {
    const version = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
    assert.equal(arg("VERSION"), version);
    assert.match(arg("NODE_ARCH") ?? "", /^(x64|arm64)$/);
    assert.match(text(), /^ADD dist\/eastwest-\$\{VERSION\}-linux-\$\{NODE_ARCH\}\.tar\.gz \/$/m);
    assert.match(readFileSync(join(REPO, "scripts/package.ts"), "utf8"), /`eastwest-\$\{version\}-linux-\$\{arch\(\)\}\.tar\.\$\{/, "scripts/package.ts's tarball name");
    assert.doesNotMatch(text(), /^COPY (?!--from)/m, "the image takes nothing from the checkout but the tarball");
    const ignore = read("Dockerfile.dockerignore").split("\n").filter((l) => l && !l.startsWith("#"));
    assert.deepEqual(ignore, ["*", "!dist/eastwest-*-linux-*.tar.gz"], "the ignore file BuildKit reads for deploy/Dockerfile sends the tarball only");
  });

  it("enters the packaged CLI on the package's Node (the install test runs these paths from the built tree)", () => {
    const argv = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(text())?.[1] ?? "[]") as string[];
    assert.deepEqual(argv, ["/usr/lib/eastwest/node", "/usr/lib/eastwest/lib/eastwest.mjs"]);
  });
});

describe("deploy: NATS", function () {
  this.timeout(60_000);
  const bin = () => {
    const b = which("nats-server");
    if (!b) throw new Error("required binary nats-server is missing: install it (Debian package nats-server)");
    return b;
  };

  it("nats-server -t accepts the compose, single-server and cluster configurations", () => {
    for (const rel of ["compose/nats.conf", "nats/nats.conf", "nats/nats-cluster.conf"]) {
      const conf = natsConfigFor(bin(), rel);
      try {
        const r = run(bin(), ["-t", "-c", conf.path], { env: { SERVER_NAME: "nats-0" } });
        assert.equal(r.code, 0, `${rel}: ${r.output}${conf.note ? ` (${conf.note})` : ""}`);
      } finally {
        conf.remove();
      }
      assert.match(read(rel), /^\s*sync_interval:\s*always\s*$/m, `${rel}: JetStream fsyncs every write`);
    }
  });

  it("three servers from nats/nats-cluster.conf form a cluster and elect a JetStream leader", async () => {
    const cluster = await startNatsCluster(bin(), "nats/nats-cluster.conf");
    try {
      const jsz = await jetStreamLeader(cluster, 3, 30_000);
      assert.equal(jsz.meta_cluster?.name, "eastwest");
    } finally {
      await cluster.stop();
    }
  });
});
