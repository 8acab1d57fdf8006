import assert from "node:assert/strict";
import { matchRoute } from "../../../collector/src/http/routes.ts";

describe("http routes", () => {
  it("matches every route, decoding path segments", () => {
    const cases: Array<[string, unknown]> = [
      ["/healthz", { name: "healthz" }],
      ["/api/v1/agents", { name: "agents" }],
      ["/api/v1/agents/", { name: "agents" }],
      ["/api/v1/agents/host%2Da%20b", { name: "agent", id: "host-a b" }],
      ["/api/v1/measurements", { name: "measurements" }],
      ["/api/v1/latest", { name: "latest" }],
      ["/api/v1/series", { name: "series" }],
      ["/api/v1/records/run", { name: "records", kind: "run" }],
      ["/api/v1/records/run/r1", { name: "record", kind: "run", id: "r1" }],
    ];
    for (const [path, route] of cases) assert.deepEqual(matchRoute("GET", path), { kind: "route", route }, path);
    assert.deepEqual(matchRoute("HEAD", "/healthz"), { kind: "route", route: { name: "healthz" } });
  });

  it("answers not found, method not allowed and bad encoding", () => {
    for (const path of ["/", "/api/v2/agents", "/api/v1/agents/a/b", "/api/v1/records", "/api/v1//x", "/healthzz"]) {
      assert.deepEqual(matchRoute("GET", path), { kind: "not_found" }, path);
    }
    assert.deepEqual(matchRoute("POST", "/api/v1/agents"), { kind: "method_not_allowed", allow: "GET, HEAD" });
    assert.equal(matchRoute("GET", "/api/v1/agents/%E0%A4%A").kind, "bad_path");
  });
});
