// Regenerates the dashboards in memory and fails when the committed grafana/dashboards/*.json
// differ (someone edited the JSON, or the code, without the other).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderDashboards } from "../src/dashboards.ts";

const dir = fileURLToPath(new URL("../dashboards/", import.meta.url));
const fresh = renderDashboards();
const committed = new Map(
  (existsSync(dir) ? readdirSync(dir) : []).filter((f) => f.endsWith(".json")).map((f) => [f, readFileSync(join(dir, f), "utf8")]),
);
const drift = [...new Set([...fresh.keys(), ...committed.keys()])].sort().filter((k) => fresh.get(k) !== committed.get(k));
if (drift.length > 0) {
  const why = (k: string) => (!committed.has(k) ? `${k} (missing)` : !fresh.has(k) ? `${k} (no dashboard generates it)` : `${k} (differs)`);
  console.error(`grafana: dashboard JSON drifted from grafana/src: ${drift.map(why).join(", ")}; run 'npm run gen -w @eastwest/grafana' and commit`);
  process.exit(1);
}
console.log(`grafana: dashboard JSON matches grafana/src (${fresh.size} file(s))`);
