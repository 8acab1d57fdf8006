// Stored records (runs, campaigns) read either from a running collector's API or straight from an embedded
// store file (`--data FILE`), so that `run list/show` and `campaign list/show/report` work the same way.
import { existsSync } from "node:fs";
import { EmbeddedStore, withCampaignDiagnosis, withDiagnosis } from "@eastwest/collector";
import { apiTarget, callApi } from "./api.ts";

/** The store file, opened; it must exist (a read must not create an empty store where a path was mistyped). */
async function openStore(data: string): Promise<EmbeddedStore> {
  if (!existsSync(data)) throw new Error(`no store at ${data}`);
  const store = new EmbeddedStore(data);
  await store.open();
  return store;
}

/** One stored record's document; an Error naming the file or the API's answer when there is none. */
export async function storedRecord(values: Record<string, unknown>, kind: string, id: string): Promise<unknown> {
  const data = values["data"] as string | undefined;
  if (data) {
    const store = await openStore(data);
    try {
      const r = await store.getRecord(kind, id);
      if (!r) throw new Error(`no ${kind} ${id} in ${data}`);
      // why: as the API does: a run stored before the diagnosis engine gets its findings from the store's samples.
      return kind === "run" ? await withDiagnosis(store, r.doc) : kind === "campaign" ? await withCampaignDiagnosis(store, r.doc) : r.doc;
    } finally {
      await store.close();
    }
  }
  return ((await callApi(apiTarget(values), `/api/v1/records/${kind}/${encodeURIComponent(id)}`)) as { doc: unknown }).doc;
}

/** The newest `limit` records' documents of a kind. */
export async function storedRecords(values: Record<string, unknown>, kind: string, limit = 50): Promise<Array<{ id: string; doc: unknown }>> {
  const data = values["data"] as string | undefined;
  if (data) {
    const store = await openStore(data);
    try {
      return (await store.listRecords(kind, limit)).map((r) => ({ id: r.id, doc: r.doc }));
    } finally {
      await store.close();
    }
  }
  return ((await callApi(apiTarget(values), `/api/v1/records/${kind}?limit=${limit}`)) as { records: Array<{ id: string; doc: unknown }> }).records;
}
