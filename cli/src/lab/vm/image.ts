// The guests' boot files: a Debian kernel (linux-image-amd64's current package, fetched with apt-get download
// and unpacked with dpkg-deb -x, not installed) and an initramfs of busybox-static (the same way), the lab's
// modules, the host's iperf3/ethtool/iproute2 with their shared libraries, and the deployable agent. Cached under
// the cache dir by a key of the package versions and every copied file's hash, so a second `up` reuses them.
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { EastwestError } from "@eastwest/common";
import { cpioArchive, type CpioEntry } from "./cpio.ts";
import { GUEST_AGENT, GUEST_INIT, GUEST_MODULES, GUEST_MODULES_DIR, GUEST_TOOLS } from "./guest-init.ts";

const run = promisify(execFile);
/** Bumped when the image's layout changes, so older cache entries are not reused. */
const IMAGE_FORMAT = 1;

export class ImageError extends EastwestError {}

export interface GuestImage {
  kernel: string;
  initrd: string;
  /** e.g. "linux-image-6.1.0-57-amd64 6.1.192-3, busybox-static 1:1.35.0-4+deb12u1+b1". */
  packages: string;
  key: string;
  cached: boolean;
}

async function tool(file: string, args: string[], cwd?: string): Promise<string> {
  try {
    return (await run(file, args, { encoding: "utf8", cwd, maxBuffer: 16 << 20, timeout: 600_000 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new ImageError(`${file} ${args.join(" ")}: ${(e.stderr ?? "").trim().split("\n").at(-1) || e.message}`, { cause: err });
  }
}

/** The package linux-image-amd64 depends on (the current kernel), and a package's candidate version. */
async function kernelPackage(): Promise<string> {
  const dep = /Depends:\s*(linux-image-[^\s]+)/.exec(await tool("apt-cache", ["depends", "linux-image-amd64"]))?.[1];
  if (!dep) throw new ImageError("apt-cache depends linux-image-amd64: no linux-image package (run apt-get update; is a Debian archive in the apt sources?)");
  return dep;
}
async function candidate(pkg: string): Promise<string> {
  const v = /^Version:\s*(\S+)/m.exec(await tool("apt-cache", ["show", "--no-all-versions", pkg]))?.[1];
  if (!v) throw new ImageError(`apt-cache show ${pkg}: no version`);
  return v;
}

/** apt-get download + dpkg-deb -x into dir/root (the .deb files are kept in dir for the next build). */
async function unpack(dir: string, pkg: string, version: string): Promise<void> {
  const name = `${pkg}_${version.replace(":", "%3a")}_amd64.deb`;
  if (!existsSync(join(dir, name))) await tool("apt-get", ["download", `${pkg}=${version}`], dir);
  await tool("dpkg-deb", ["-x", join(dir, name), join(dir, "root")]);
}

/** A .ko's `depends=` (its .modinfo section), without modinfo. */
export function moduleDepends(ko: Uint8Array): string[] {
  const m = /depends=([A-Za-z0-9_,-]*)\0/.exec(Buffer.from(ko).toString("latin1"));
  return m?.[1] ? m[1].split(",").filter(Boolean) : [];
}

/** The wanted modules and what they depend on, dependencies first; names -> .ko paths under the kernel's tree. */
function moduleOrder(modRoot: string, wanted: readonly string[]): Array<{ name: string; file: string }> {
  const index = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith(".ko")) index.set(e.name.slice(0, -3).replace(/-/g, "_"), join(d, e.name));
    }
  };
  walk(modRoot);
  const order: Array<{ name: string; file: string }> = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    const key = name.replace(/-/g, "_");
    if (seen.has(key)) return;
    seen.add(key);
    const file = index.get(key);
    // why: not a module in this kernel: built in (=y), nothing to load.
    if (!file) return;
    for (const d of moduleDepends(readFileSync(file))) visit(d);
    order.push({ name: key, file });
  };
  wanted.forEach(visit);
  return order;
}

/** A program and the shared libraries ldd names (including the loader), as absolute host paths. */
export function lddPaths(lddOutput: string): string[] {
  const out: string[] = [];
  for (const line of lddOutput.split("\n")) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1]) out.push(m[1]);
  }
  return out;
}

async function which(bin: string): Promise<string> {
  for (const d of ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"]) if (existsSync(join(d, bin))) return join(d, bin);
  throw new ImageError(`${bin} not found on this host (Debian: apt-get install iperf3 ethtool iproute2 linux-perf)`);
}

/** Host files the guest needs: the tools, the agent's node and what they link against. */
async function hostFiles(agentDir: string): Promise<string[]> {
  const progs = [...(await Promise.all(GUEST_TOOLS.map(which))), join(agentDir, "node")];
  const libs = new Set<string>();
  for (const p of progs) for (const l of lddPaths(await tool("ldd", [p]))) libs.add(l);
  return [...progs.slice(0, -1), ...libs];
}

interface Inputs {
  kernelPkg: string;
  kernelVersion: string;
  busyboxVersion: string;
  files: string[];
  agentDir: string;
}

function cacheKey(i: Inputs): string {
  const h = createHash("sha256").update(JSON.stringify({ IMAGE_FORMAT, k: i.kernelPkg, kv: i.kernelVersion, b: i.busyboxVersion, GUEST_INIT, GUEST_MODULES }));
  for (const f of [...i.files, ...readdirSync(i.agentDir).map((n) => join(i.agentDir, n))]) h.update(f).update(readFileSync(f));
  return h.digest("hex").slice(0, 16);
}

function entries(root: string, modules: Array<{ name: string; file: string }>, files: string[], agentDir: string): CpioEntry[] {
  const out: CpioEntry[] = [];
  const dirs = new Set<string>();
  const dir = (p: string) => {
    if (p === "/" || dirs.has(p)) return;
    dir(dirname(p));
    dirs.add(p);
    out.push({ path: p, kind: "dir" });
  };
  const file = (p: string, data: Uint8Array, mode = 0o755) => (dir(dirname(p)), out.push({ path: p, kind: "file", data, mode }));
  ["/proc", "/sys", "/dev", "/tmp", "/run", "/root", "/etc"].forEach(dir);
  file("/init", new TextEncoder().encode(GUEST_INIT));
  file("/bin/busybox", readFileSync(join(root, "bin/busybox")));
  for (const m of modules) file(`${GUEST_MODULES_DIR}/${m.name}.ko`, readFileSync(m.file), 0o644);
  file(`${GUEST_MODULES_DIR}/order`, new TextEncoder().encode(modules.map((m) => `${m.name}.ko`).join("\n") + "\n"), 0o644);
  // why: Debian keeps libraries under /lib/x86_64-linux-gnu and the loader at /lib64; usrmerge links /lib -> usr/lib.
  for (const f of files) file(f, readFileSync(f));
  for (const n of readdirSync(agentDir)) file(join(dirname(GUEST_AGENT), n), readFileSync(join(agentDir, n)), n.endsWith(".json") || n.endsWith(".pl") || n.endsWith(".mjs") ? 0o644 : 0o755);
  file("/etc/passwd", new TextEncoder().encode("root:x:0:0:root:/root:/bin/sh\n"), 0o644);
  return out;
}

/** The kernel and initramfs for the lab's guests, built or from the cache. `say` reports the slow steps. */
export async function guestImage(cacheDir: string, agentDir: string, say: (l: string) => void): Promise<GuestImage> {
  const kernelPkg = await kernelPackage();
  const [kernelVersion, busyboxVersion] = await Promise.all([candidate(kernelPkg), candidate("busybox-static")]);
  const files = await hostFiles(agentDir);
  const key = cacheKey({ kernelPkg, kernelVersion, busyboxVersion, files, agentDir });
  const packages = `${kernelPkg} ${kernelVersion}, busybox-static ${busyboxVersion}`;
  const dest = join(cacheDir, `image-${key}`);
  const image = { kernel: join(dest, "vmlinuz"), initrd: join(dest, "initrd.cpio"), packages, key };
  if (existsSync(join(dest, "done"))) return { ...image, cached: true };
  say(`building the guest image (${packages}) into ${dest}`);
  const debs = join(cacheDir, "debs");
  mkdirSync(debs, { recursive: true });
  const work = mkdtempSync(join(cacheDir, ".build-"));
  try {
    rmSync(join(debs, "root"), { recursive: true, force: true });
    await unpack(debs, kernelPkg, kernelVersion);
    await unpack(debs, "busybox-static", busyboxVersion);
    const root = join(debs, "root");
    const kver = kernelPkg.replace(/^linux-image-/, "");
    const modules = moduleOrder(join(root, "lib/modules", kver), GUEST_MODULES);
    const archive = cpioArchive(entries(root, modules, files, agentDir));
    const ws = createWriteStream(join(work, "initrd.cpio"));
    for (const chunk of archive) ws.write(chunk);
    await new Promise<void>((resolve, reject) => ws.end((err?: Error | null) => (err ? reject(err) : resolve())));
    writeFileSync(join(work, "vmlinuz"), readFileSync(join(root, "boot", `vmlinuz-${kver}`)));
    writeFileSync(join(work, "done"), JSON.stringify({ packages, modules: modules.map((m) => m.name) }) + "\n");
    // why: one image per cache dir is enough; an older one (another kernel or agent) is 100+ MB of disk.
    for (const old of readdirSync(cacheDir)) if (old.startsWith("image-")) rmSync(join(cacheDir, old), { recursive: true, force: true });
    renameSync(work, dest);
    rmSync(root, { recursive: true, force: true });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { ...image, cached: false };
}
