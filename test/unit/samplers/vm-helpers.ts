// Helpers of the vm sampler's tests: a mini /proc of one guest and a unix server standing in for its QMP monitor.
import { createServer, type Server, type Socket } from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A mini /proc entry: cmdline, and tasks as [tid, comm, "run wait slices"]. */
export function writeProc(root: string, pid: number, argv: string[], tasks: Array<[number, string, string]>): void {
  mkdirSync(join(root, String(pid)), { recursive: true });
  writeFileSync(join(root, String(pid), "cmdline"), argv.map((a) => `${a}\0`).join(""));
  for (const [tid, comm, sched] of tasks) {
    mkdirSync(join(root, String(pid), "task", String(tid)), { recursive: true });
    writeFileSync(join(root, String(pid), "task", String(tid), "comm"), `${comm}\n`);
    writeFileSync(join(root, String(pid), "task", String(tid), "schedstat"), `${sched}\n`);
  }
}

export const guestArgv = (name: string, sock: string): string[] => ["qemu-system-x86_64", "-accel", "kvm", "-name", name, "-qmp", `unix:${sock},server=on,wait=off`];
export const GUEST_TASKS: Array<[number, string, string]> = [[700, "qemu-system-x86", "1000 10 1"], [701, "CPU 0/KVM", "5000 50 5"]];

/** A unix server that counts connections and answers per `onLine` (nothing by default: a monitor that never greets). */
export async function listen(path: string, onConnect: (s: Socket) => void = () => {}): Promise<{ server: Server; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    n++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    onConnect(s);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { server, connections: () => n, close };
}
