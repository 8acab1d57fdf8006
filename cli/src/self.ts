// The script that runs this CLI, for commands that start more of it as child processes (`up`'s agent, the labs'
// agents): cli/src/main.ts in a checkout; in the packaged build (scripts/build-dist.ts defines EASTWEST_DIST_MAIN)
// the bundle's entry file, which sits beside every chunk of the bundle.
import { fileURLToPath } from "node:url";

declare const EASTWEST_DIST_MAIN: string | undefined;

/** The entry file of the packaged build, or undefined in a checkout. */
export const DIST_MAIN: string | undefined = typeof EASTWEST_DIST_MAIN === "string" ? fileURLToPath(new URL(EASTWEST_DIST_MAIN, import.meta.url)) : undefined;

/** What `node <MAIN_SCRIPT> <command> ...` runs: this CLI. */
export const MAIN_SCRIPT: string = DIST_MAIN ?? fileURLToPath(new URL("./main.ts", import.meta.url));
