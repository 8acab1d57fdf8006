// @eastwest/grafana: the dashboards as code. `npm run gen -w @eastwest/grafana` writes their JSON to dashboards/;
// the drift check compares it with what is committed.
export { DASHBOARDS, renderDashboards } from "./dashboards.ts";
