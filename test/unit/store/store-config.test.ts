// The store section's retention keys: rollupRetentionDays is 0 (keep) or at least retentionDays, which must then
// keep raw points for a bounded time; both come from config and env.
import assert from "node:assert/strict";
import { loadCollectorConfig } from "../../../collector/src/config.ts";

const load = (store: Record<string, unknown>, env: Record<string, string> = {}) => loadCollectorConfig({ env, flags: { store } });

describe("store config: retention of points and rollups", () => {
  it("takes 0, or rollups kept at least as long as points", () => {
    assert.equal(load({}).store.rollupRetentionDays, 0);
    assert.equal(load({ retentionDays: 30, rollupRetentionDays: 400 }).store.rollupRetentionDays, 400);
    assert.equal(load({ retentionDays: 30, rollupRetentionDays: 30 }).store.rollupRetentionDays, 30);
    assert.equal(load({}, { EASTWEST_STORE_RETENTION_DAYS: "7", EASTWEST_STORE_ROLLUP_RETENTION_DAYS: "90" }).store.rollupRetentionDays, 90);
  });

  it("refuses rollups kept shorter than points, or bounded while points are kept for good", () => {
    assert.throws(() => load({ retentionDays: 30, rollupRetentionDays: 10 }), /rollupRetentionDays \(10\) must be 0 \(keep\) or at least retentionDays \(30\)/);
    assert.throws(() => load({ retentionDays: 0, rollupRetentionDays: 10 }), /at least retentionDays \(0: raw points kept for good\)/);
  });
});
