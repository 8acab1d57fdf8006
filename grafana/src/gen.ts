// Writes grafana/dashboards/*.json from the dashboards' code and grafana/provisioning/alerting/*.yaml from the alert
// rules'; removes JSON no dashboard produces.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderAlertFiles } from "./alert-file.ts";
import { renderDashboards } from "./dashboards.ts";

const dir = fileURLToPath(new URL("../dashboards/", import.meta.url));
const files = renderDashboards();
mkdirSync(dir, { recursive: true });
for (const stale of readdirSync(dir).filter((f) => f.endsWith(".json") && !files.has(f))) rmSync(join(dir, stale));
for (const [name, text] of files) writeFileSync(join(dir, name), text);
console.log(`grafana: wrote ${files.size} dashboard(s): ${[...files.keys()].join(", ")}`);
const alerting = fileURLToPath(new URL("../provisioning/alerting/", import.meta.url));
const alerts = renderAlertFiles();
mkdirSync(alerting, { recursive: true });
for (const [name, text] of alerts) writeFileSync(join(alerting, name), text);
console.log(`grafana: wrote ${alerts.size} alert rule file(s): ${[...alerts.keys()].join(", ")}`);
