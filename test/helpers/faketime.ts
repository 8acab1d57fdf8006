// A process's wall clock set off with libfaketime (Debian package faketime): its environment preloads the library,
// so Date.now, time() and clock_gettime(CLOCK_REALTIME) of that process and its children read `offset` off (e.g.
// "+3s"). The monotonic clock is left alone (FAKETIME_DONT_FAKE_MONOTONIC), so timers run as usual.
import { existsSync } from "node:fs";
import { requireBinary } from "./procs.ts";

const ARCH: Record<string, string> = { x64: "x86_64", arm64: "aarch64" };

/** The environment that sets a process's clock `offset` off; throws when libfaketime is not installed. */
export function fakeTimeEnv(offset: string): Record<string, string> {
  requireBinary("faketime");
  const triple = `${ARCH[process.arch] ?? process.arch}-linux-gnu`;
  const lib = [`/usr/lib/${triple}/faketime/libfaketime.so.1`, "/usr/lib/faketime/libfaketime.so.1", "/usr/local/lib/faketime/libfaketime.so.1"].find((p) => existsSync(p));
  if (lib === undefined) throw new Error("libfaketime.so.1 is missing: install the faketime package (see scripts/setup.sh)");
  return { LD_PRELOAD: lib, FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: "1" };
}
