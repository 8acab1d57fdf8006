// Pure parsing of a QEMU command line (/proc/<pid>/cmdline): guest name, uuid, accelerator, QMP socket, vCPU count.

export interface QemuCmdline {
  /** -name guest=NAME or -name NAME; "" when absent. */
  name: string;
  /** -uuid; "" when absent. */
  uuid: string;
  /** The first accelerator asked for (-accel, -enable-kvm, -machine accel=a:b); the QEMU default when none. */
  accel: string;
  /** -name ...,debug-threads=on: vCPU threads are named "CPU n/KVM". */
  debugThreads: boolean;
  /** Path of a unix QMP socket (-qmp unix:PATH or -chardev socket,path=PATH + -mon mode=control). */
  qmpSocket: string | undefined;
  /** Why a QMP monitor on the command line cannot be used (tcp, fd passing); undefined when fine or absent. */
  qmpProblem: string | undefined;
  /** The QMP monitor was passed as a file descriptor (-chardev socket,fd=N): what libvirt does. */
  qmpFd: boolean;
  /** -smp N or cpus=N; undefined when absent. */
  smp: number | undefined;
}

/** NUL-separated /proc/<pid>/cmdline into argv (a trailing NUL ends the last argument). */
export function splitCmdline(raw: string): string[] {
  const parts = raw.split("\0");
  if (parts.at(-1) === "") parts.pop();
  return parts;
}

/** argv[0]'s basename starts with qemu-system or qemu-kvm. */
export function isQemu(argv: readonly string[]): boolean {
  const base = (argv[0] ?? "").split("/").at(-1) ?? "";
  return base.startsWith("qemu-system") || base.startsWith("qemu-kvm");
}

/**
 * QemuOpts "a,b=c,d=e": the first entry without "=" takes `implied` as its key; ",," is a literal comma.
 * Entries are returned in order (a key may repeat).
 */
export function splitOpts(text: string, implied?: string): Array<[string, string]> {
  const items: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "," && text[i + 1] === ",") {
      cur += ",";
      i++;
    } else if (ch === ",") {
      items.push(cur);
      cur = "";
    } else cur += ch;
  }
  items.push(cur);
  return items.map((item, i): [string, string] => {
    const eq = item.indexOf("=");
    if (eq >= 0) return [item.slice(0, eq), item.slice(eq + 1)];
    return i === 0 && implied !== undefined ? [implied, item] : [item, "on"];
  });
}

function opt(opts: ReadonlyArray<[string, string]>, key: string): string | undefined {
  return opts.find(([k]) => k === key)?.[1];
}

const FLAGS = new Set(["-enable-kvm", "-nographic", "-nodefaults", "-no-user-config", "-S", "-no-hpet", "-no-shutdown", "-no-reboot", "-daemonize", "-snapshot"]);

/**
 * Option/value pairs of argv ("--name" is "-name"). An option takes the next argument as its value unless it is a
 * known flag or the next argument is itself an option; flags get "".
 */
function pairs(argv: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = (argv[i] ?? "").replace(/^--/, "-");
    if (!arg.startsWith("-")) continue;
    const next = argv[i + 1];
    if (FLAGS.has(arg) || next === undefined || next.startsWith("-")) out.push([arg, ""]);
    else out.push([arg, argv[++i] ?? ""]);
  }
  return out;
}

interface Qmp {
  socket: string | undefined;
  problem: string | undefined;
  fd?: boolean;
}

/** A chardev spec of -qmp: "unix:PATH[,server...]"; other backends cannot be read here. */
function legacyChardev(spec: string): Qmp {
  if (spec.startsWith("unix:")) {
    const opts = splitOpts(spec.slice(5), "path");
    return { socket: opt(opts, "path"), problem: undefined };
  }
  return { socket: undefined, problem: `QMP monitor ${JSON.stringify(spec.split(",")[0])} is not a unix socket` };
}

function findQmp(args: ReadonlyArray<[string, string]>): Qmp {
  for (const [k, v] of args) if (k === "-qmp" || k === "-qmp-pretty") return legacyChardev(v);
  const chardevs = new Map<string, Array<[string, string]>>();
  for (const [k, v] of args) {
    if (k !== "-chardev") continue;
    const opts = splitOpts(v, "backend");
    const id = opt(opts, "id");
    if (id !== undefined) chardevs.set(id, opts);
  }
  for (const [k, v] of args) {
    if (k !== "-mon") continue;
    const mon = splitOpts(v, "chardev");
    if (opt(mon, "mode") !== "control") continue;
    const dev = chardevs.get(opt(mon, "chardev") ?? "");
    if (dev === undefined) continue;
    const path = opt(dev, "path");
    if (opt(dev, "backend") === "socket" && path !== undefined) return { socket: path, problem: undefined };
    if (opt(dev, "fd") !== undefined) return { socket: undefined, problem: "QMP monitor passed as a file descriptor (fd=)", fd: true };
    return { socket: undefined, problem: `QMP monitor chardev ${opt(dev, "backend") ?? "?"} is not a unix socket` };
  }
  return { socket: undefined, problem: undefined };
}

function findAccel(argv: readonly string[], args: ReadonlyArray<[string, string]>): string {
  for (const [k, v] of args) {
    if (k === "-accel") return opt(splitOpts(v, "accel"), "accel") ?? "";
    if (k === "-enable-kvm") return "kvm";
    if (k === "-machine" || k === "-M") {
      const accel = opt(splitOpts(v, "type"), "accel");
      if (accel !== undefined) return accel.split(":")[0] ?? "";
    }
  }
  // why: qemu-kvm is a wrapper that adds -enable-kvm; plain qemu-system-* defaults to tcg (QEMU >= 2.x on x86).
  return (argv[0]?.split("/").at(-1) ?? "").startsWith("qemu-kvm") ? "kvm" : "tcg";
}

function findSmp(args: ReadonlyArray<[string, string]>): number | undefined {
  const v = args.find(([k]) => k === "-smp")?.[1];
  if (v === undefined) return undefined;
  const n = Number(opt(splitOpts(v, "cpus"), "cpus"));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function parseQemuCmdline(argv: readonly string[]): QemuCmdline {
  const args = pairs(argv);
  const nameOpts = splitOpts(args.find(([k]) => k === "-name")?.[1] ?? "", "guest");
  const qmp = findQmp(args);
  return {
    name: opt(nameOpts, "guest") ?? "",
    uuid: args.find(([k]) => k === "-uuid")?.[1] ?? "",
    accel: findAccel(argv, args),
    debugThreads: opt(nameOpts, "debug-threads") === "on",
    qmpSocket: qmp.socket,
    qmpProblem: qmp.problem,
    qmpFd: qmp.fd === true,
    smp: findSmp(args),
  };
}
