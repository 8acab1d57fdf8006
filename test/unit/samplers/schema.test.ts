// Every sampler against the fixture tree (and the live host): every point must match its declared measurement.
import assert from "node:assert/strict";
import type { Sample } from "@eastwest/common";
import { measurement, type FieldType } from "@eastwest/common";
import { SAMPLER_MEASUREMENTS } from "../../../common/src/schema/samplers.ts";
import { hostFs } from "../../../agent/src/runtime/hostfs.ts";
import { realExec, type Exec } from "../../../agent/src/runtime/exec.ts";
import type { HostFs } from "../../../agent/src/runtime/hostfs.ts";
import { SAMPLERS } from "../../../agent/src/samplers/index.ts";
import { SECOND, T0, ctx, fixtureExec, liveFs } from "./helpers.ts";

// why: the fixture tree holds ss output, so tcpinfo reads it with its ss backend; "live host" uses the default.
const OPTIONS: Readonly<Record<string, Record<string, unknown>>> = { tcpinfo: { flows: [{ port: 5201 }], backend: "ss" } };

function typeOf(value: unknown): FieldType[] {
  if (typeof value === "number") return ["float"];
  if (typeof value === "bigint") return value >= 0n ? ["uint", "int"] : ["int"];
  if (typeof value === "boolean") return ["bool"];
  return ["string"];
}

/** Problems of one point against the schema; [] when it conforms. */
function check(p: Sample): string[] {
  const def = measurement(p.measurement);
  if (def === undefined) return [`${p.measurement}: not in the schema`];
  const problems: string[] = [];
  const tags = Object.keys(p.tags).sort();
  if (tags.join(",") !== [...def.tags].sort().join(",")) problems.push(`${p.measurement}: tags ${tags} != ${[...def.tags].sort()}`);
  for (const [k, v] of Object.entries(p.tags)) if (typeof v !== "string") problems.push(`${p.measurement}: tag ${k} not a string`);
  if (Object.keys(p.fields).length === 0) problems.push(`${p.measurement}: no fields`);
  for (const [k, v] of Object.entries(p.fields)) {
    const declared = def.fields[k];
    if (declared === undefined) problems.push(`${p.measurement}.${k}: undeclared field`);
    else if (declared === "string" || !typeOf(v).includes(declared)) problems.push(`${p.measurement}.${k}: ${typeof v} ${String(v)} is not ${declared}`);
    if (typeof v === "number" && !Number.isFinite(v)) problems.push(`${p.measurement}.${k}: ${v}`);
  }
  return problems;
}

async function runAll(fs: readonly HostFs[], exec: readonly Exec[]): Promise<{ points: Sample[]; errors: string[] }> {
  const points: Sample[] = [];
  const errors: string[] = [];
  for (const [name, factory] of Object.entries(SAMPLERS)) {
    const sampler = factory();
    assert.equal(sampler.name, name);
    for (const [i, tickFs] of fs.entries()) {
      const c = ctx(tickFs, T0 + BigInt(i) * SECOND, { exec: exec[i] as Exec, options: OPTIONS[name] ?? {} });
      const r = await sampler.sample(c);
      for (const p of r.points) assert.equal(p.timeNs, c.nowNs);
      points.push(...r.points);
      errors.push(...(r.errors ?? []));
    }
    await sampler.close?.();
  }
  return { points, errors };
}

describe("samplers vs schema", () => {
  it("fixture tree: every point conforms, every sampler measurement is emitted", async () => {
    const { points, errors } = await runAll([liveFs(0), liveFs(1)], [fixtureExec("live-t0").exec, fixtureExec("live-t1").exec]);
    assert.deepEqual(errors, []);
    assert.deepEqual(points.flatMap(check), []);
    const emitted = new Set(points.map((p) => p.measurement));
    assert.deepEqual([...emitted].sort(), Object.keys(SAMPLER_MEASUREMENTS).sort());
    // rates appear on the second tick
    assert.ok(points.some((p) => p.measurement === "netdev" && typeof p.fields["rx_bytes_per_s"] === "number"));
  });

  it("every declared field is emitted from the fixtures, except those this kernel or capture lacks", async () => {
    const { points } = await runAll([liveFs(0), liveFs(1)], [fixtureExec("live-t0").exec, fixtureExec("live-t1").exec]);
    const seen = new Set(points.flatMap((p) => Object.keys(p.fields).map((f) => `${p.measurement}.${f}`)));
    const declared = Object.entries(SAMPLER_MEASUREMENTS).flatMap(([m, d]) => Object.keys(d.fields).map((f) => `${m}.${f}`));
    const absent = declared.filter((f) => !seen.has(f)).sort();
    // why: BLOCK_IOPOLL is the pre-4.5 name of IRQ_POLL; the loopback capture never hit a send-buffer limit
    // (ss prints sndbuf_limited only when non-zero).
    assert.deepEqual(absent, ["softirqs.block_iopoll_total", "tcp_flow.sndbuf_limited_ns_total"]);
  });

  it("live host: every point conforms", async () => {
    const { points } = await runAll([hostFs(), hostFs()], [realExec, realExec]);
    assert.ok(points.length > 0);
    assert.deepEqual(points.flatMap(check), []);
  });
});
