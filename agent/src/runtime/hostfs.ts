// The one module that reads /proc and /sys. Roots are configurable so tests
// (and the whole agent) can run against a fixture tree.
import { readFile, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";

export interface HostFs {
  readonly procRoot: string;
  readonly sysRoot: string;
  /** Read a file under /proc, e.g. proc("net/dev"). */
  proc(rel: string): Promise<string>;
  /** Read a file under /sys, e.g. sys("class/dmi/id/product_uuid"). */
  sys(rel: string): Promise<string>;
  procDir(rel: string): Promise<string[]>;
  sysDir(rel: string): Promise<string[]>;
  procLink(rel: string): Promise<string>;
}

export function hostFs(procRoot = "/proc", sysRoot = "/sys"): HostFs {
  return {
    procRoot,
    sysRoot,
    proc: (rel) => readFile(join(procRoot, rel), "utf8"),
    sys: (rel) => readFile(join(sysRoot, rel), "utf8"),
    procDir: (rel) => readdir(join(procRoot, rel)),
    sysDir: (rel) => readdir(join(sysRoot, rel)),
    procLink: (rel) => readlink(join(procRoot, rel)),
  };
}
