// The embedded store: the ledger and the embedded point store over one SQLite
// file — what store.kind "embedded" builds, and what tools and tests open
// directly. See README.md one level up for the file's durability.
import { Storage } from "../storage.ts";
import { EmbeddedFile, type EmbeddedStoreOptions } from "./file.ts";
import { EmbeddedLedger } from "./ledger.ts";
import { EmbeddedPoints } from "./points.ts";
import type { PreparedPoint } from "./write.ts";

export type { EmbeddedStoreOptions } from "./file.ts";

export class EmbeddedStore extends Storage<PreparedPoint[]> {
  /** A path alone takes the defaults. */
  constructor(opts: EmbeddedStoreOptions | string) {
    const file = new EmbeddedFile(opts);
    const points = new EmbeddedPoints(file);
    super(new EmbeddedLedger(file), points, points);
  }
}
