// Regenerates the dashboards and the alert rule files in memory and fails when the committed
// grafana/dashboards/*.json or grafana/provisioning/alerting/*.yaml differ (someone edited the output, or the code,
// without the other).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderAlertFiles } from "../src/alert-file.ts";
import { renderDashboards } from "../src/dashboards.ts";

function drifted(dirUrl: string, ext: string, fresh: Map<string, string>): string[] {
  const dir = fileURLToPath(new URL(dirUrl, import.meta.url));
  const committed = new Map((existsSync(dir) ? readdirSync(dir) : []).filter((f) => f.endsWith(ext)).map((f) => [f, readFileSync(join(dir, f), "utf8")]));
  const why = (k: string) => (!committed.has(k) ? `${k} (missing)` : !fresh.has(k) ? `${k} (nothing generates it)` : `${k} (differs)`);
  return [...new Set([...fresh.keys(), ...committed.keys()])].sort().filter((k) => fresh.get(k) !== committed.get(k)).map(why);
}

const dashboards = renderDashboards();
const alerts = renderAlertFiles();
const drift = [...drifted("../dashboards/", ".json", dashboards), ...drifted("../provisioning/alerting/", ".yaml", alerts)];
if (drift.length > 0) {
  console.error(`grafana: generated files drifted from grafana/src: ${drift.join(", ")}; run 'npm run gen -w @eastwest/grafana' and commit`);
  process.exit(1);
}
console.log(`grafana: dashboard JSON and alert rules match grafana/src (${dashboards.size + alerts.size} file(s))`);
