// Every panel query of every generated dashboard (grafana/dashboards/*.json), with Grafana's macros and
// template variables expanded, runs against a real influxd 1.x loaded with what a real collector stored:
// `eastwest demo` (collector, agents, an iperf3 run, its breakdown) while a KVM guest runs, so the host
// agent's vm sampler reports it. Panels whose measurement has data here return series with the
// selected columns; panels whose source this machine lacks (no hardware PMU, no memory-bandwidth
// counters) return no series and no error.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Sample } from "@eastwest/common";
import { EmbeddedStore } from "../../../collector/src/store/embedded/store.ts";
import { startInfluxd, type Influxd, type InfluxQlSeries } from "../../helpers/tsdb.ts";
import { requireBinary, start, startProcess, tempDir, waitFor, type Proc } from "../../helpers/procs.ts";
import { expand, expectedColumns, measurementsOf, targetsOf, variablesOf, type Chosen, type Range } from "./expand.ts";
import { loadThroughCollectorStore, storedSamples } from "./load.ts";

const GRAFANA = fileURLToPath(new URL("../../../grafana/", import.meta.url));
const DB = "eastwest";
/** Measurements the demo with a KVM guest always produces; without them the test proves nothing. */
const REQUIRED = ["netdev", "cpu", "softirqs", "tcp_flow", "run", "run_endpoint", "cost_breakdown", "eastwest_agent", "eastwest_sampler", "vm_info", "vm_kvm", "vcpu_kvm", "vm_thread"];

function startGuest(qemu: string, name: string, sock: string): Proc {
  return startProcess(qemu, [
    "-accel", "kvm", "-m", "64", "-smp", "2", "-nographic", "-nodefaults", "-no-user-config", "-display", "none",
    "-name", `guest=${name},debug-threads=on`, "-qmp", `unix:${sock},server=on,wait=off`,
  ]);
}

interface Live {
  guest?: Proc;
  demo?: Proc;
}

/** Runs the demo on a fresh store while a KVM guest is up; returns the stored points. Started processes are kept in `live`. */
async function collect(dir: string, guestName: string, live: Live): Promise<Sample[]> {
  const qemu = requireBinary("qemu-system-x86_64");
  const sock = join(dir, "qmp.sock");
  const guest = (live.guest = startGuest(qemu, guestName, sock));
  try {
    await waitFor(() => {
      if (guest.child.exitCode !== null) throw new Error(`process exited ${guest.child.exitCode}: ${guest.stderr()}`);
      return existsSync(sock) ? true : undefined;
    }, 20_000, "the guest's QMP socket");
    const demo = (live.demo = start(["demo", "--duration-s", "3", "--data", join(dir, "demo.db")]));
    const code = await demo.exited;
    assert.equal(code, 0, `eastwest demo failed:\n${demo.stdout().slice(-3000)}\n${demo.stderr().slice(-3000)}`);
  } finally {
    await guest.kill("SIGKILL");
  }
  const store = new EmbeddedStore(join(dir, "demo.db"));
  await store.open();
  try {
    return await storedSamples(store);
  } finally {
    await store.close();
  }
}

function dashboards(): Array<{ file: string; json: Parameters<typeof targetsOf>[0] }> {
  const dir = join(GRAFANA, "dashboards");
  // why: the *-prometheus.json dashboards hold PromQL; languages.test.ts runs them against a real Prometheus.
  return readdirSync(dir).filter((f) => f.endsWith(".json") && !f.endsWith("-prometheus.json")).sort().map((file) => ({ file, json: JSON.parse(readFileSync(join(dir, file), "utf8")) }));
}

interface GridPanel {
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
}

function layoutProblems(d: { panels?: GridPanel[] }): string[] {
  const taken = new Map<string, string>();
  const problems: string[] = [];
  for (const p of d.panels ?? []) {
    const g = p.gridPos;
    if (g.x < 0 || g.w < 1 || g.x + g.w > 24) problems.push(`${p.title}: outside the grid`);
    for (let x = g.x; x < g.x + g.w; x++) {
      for (let y = g.y; y < g.y + g.h; y++) {
        const other = taken.get(`${x},${y}`);
        if (other !== undefined && !problems.includes(`${p.title} overlaps ${other}`)) problems.push(`${p.title} overlaps ${other}`);
        taken.set(`${x},${y}`, p.title);
      }
    }
  }
  return problems;
}

/** The query's series; rejects with the statement's error. */
async function run(influx: Influxd, q: string): Promise<InfluxQlSeries[]> {
  return (await influx.query(q, DB)).series;
}

describe("grafana dashboards: every panel query against real influxd with collector data", function () {
  this.timeout(180_000);
  const guestName = `ewt-grafana-${process.pid}`;
  let dir: ReturnType<typeof tempDir> | undefined;
  let influx: Influxd | undefined;
  let samples: Sample[] = [];
  let range: Range;
  let runId: string;
  const live: Live = {};

  before(async function () {
    try {
      requireBinary("influxd");
      requireBinary("qemu-system-x86_64");
      if (!existsSync("/dev/kvm")) throw new Error("this test needs /dev/kvm (a KVM guest for the VM panels)");
    } catch (err) {
      if (process.env["CI"] === "true") throw err;
      this.skip();
    }
    dir = tempDir("grafana");
    samples = await collect(dir.path, guestName, live);
    influx = await startInfluxd();
    await influx.query(`CREATE DATABASE "${DB}"`);
    await loadThroughCollectorStore(influx.url, DB, samples, join(dir.path, "ledger.db"));
    const times = samples.map((s) => Number(s.timeNs / 1_000_000n));
    range = { fromMs: Math.min(...times) - 1000, toMs: Math.max(...times) + 1000, interval: "1s" };
    runId = samples.find((s) => s.measurement === "run")?.tags["run_id"] ?? "";
  });

  after(async () => {
    // why: SIGTERM lets a demo that outlived a failed before() remove its namespaces.
    await live.demo?.kill("SIGTERM");
    await live.guest?.kill("SIGKILL");
    await influx?.stop();
    dir?.remove();
  });

  const has = (m: string) => samples.some((s) => s.measurement === m);

  it("the collector stored every measurement the dashboards need from the demo", () => {
    assert.deepEqual(REQUIRED.filter((m) => !has(m)), []);
    assert.ok(samples.some((s) => s.measurement === "vm_kvm" && s.tags["vm"] === guestName), `vm_kvm of ${guestName}`);
    assert.match(runId, /^[0-9a-f-]{36}$/);
  });

  it("dashboards: provisioned data source, do-not-edit header, panels on the 24-column grid without overlap", () => {
    const ds = readFileSync(join(GRAFANA, "provisioning/datasources/eastwest.yaml"), "utf8");
    const provider = readFileSync(join(GRAFANA, "provisioning/dashboards/eastwest.yaml"), "utf8");
    assert.match(ds, /^\s+uid: eastwest-influxdb$/m);
    assert.match(ds, /^\s+type: influxdb$/m);
    assert.match(ds, /^\s+version: InfluxQL$/m);
    assert.match(provider, /^\s+type: file$/m);
    for (const { file, json } of dashboards()) {
      assert.match(String((json as { description?: string }).description), /^Generated by grafana\/src — do not edit/, file);
      for (const t of targetsOf(json)) assert.ok(t.query.length > 0, `${file}: ${t.panel} ${t.refId} has a query`);
      assert.deepEqual(layoutProblems(json as { panels?: GridPanel[] }), [], file);
    }
  });

  const NO_EVENT_IN_DEMO = /^annotation: Interface settings changed/;
  for (const { file } of dashboards()) {
    it(`${file}: variables resolve and every panel query runs with the expected columns`, async () => {
      const d = dashboards().find((x) => x.file === file);
      assert.ok(d, `grafana/dashboards/${file} exists`);
      const chosen = await resolveVariables(d.json);
      const problems: string[] = [];
      const empty: string[] = [];
      for (const t of targetsOf(d.json)) {
        const q = expand(t.query, range, chosen);
        const series = await run(influx as Influxd, q).catch((err: Error) => (problems.push(`${t.panel} [${t.refId}]: ${err.message}`), undefined));
        if (series === undefined) continue;
        const available = measurementsOf(q).every(has);
        if (!available) {
          empty.push(`${t.panel} [${t.refId}]`);
          if (series.length > 0) problems.push(`${t.panel} [${t.refId}]: expected no series (no source here), got ${series.length}`);
          continue;
        }
        // why: the demo changes no interface setting, so the settings-change annotation has no event to show
        // here; it must run without error (languages.test.ts makes an MTU change and requires the annotation).
        if (series.length === 0 && !NO_EVENT_IN_DEMO.test(t.panel)) problems.push(`${t.panel} [${t.refId}]: no series: ${q}`);
        const want = expectedColumns(q);
        for (const s of series) if (JSON.stringify(s.columns) !== JSON.stringify(want)) problems.push(`${t.panel} [${t.refId}]: columns ${s.columns.join(",")} != ${want.join(",")}`);
      }
      assert.deepEqual(problems, []);
      if (empty.length > 0) console.log(`      ${file}: no source on this machine (zero series, no error): ${empty.join("; ")}`);
    });
  }

  /** Runs each variable's query in order; picks the guest and the demo's run, "All" otherwise. */
  async function resolveVariables(json: Parameters<typeof variablesOf>[0]): Promise<Chosen> {
    const chosen: Chosen = new Map();
    const preferred: Record<string, string> = { vm: guestName, run: runId };
    for (const v of variablesOf(json)) {
      const series = await run(influx as Influxd, expand(v.query, range, chosen));
      const values = series.flatMap((s) => s.values.map((row) => String(row[1])));
      assert.ok(values.length > 0, `variable ${v.name} has values: ${v.query}`);
      const want = preferred[v.name];
      if (want !== undefined) assert.ok(values.includes(want), `variable ${v.name} offers ${want}: ${values.join(", ")}`);
      chosen.set(v.name, { values: want !== undefined ? [want] : values, variable: v });
    }
    return chosen;
  }
});
