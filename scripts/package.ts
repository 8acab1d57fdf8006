// `npm run package` (node scripts/package.ts [--out DIR] [--compression gzip|xz]): the install tree, a tarball of it
// and a Debian package, from one dist build (scripts/build-dist.ts). The tree, rooted at /:
//   usr/lib/eastwest/                         the dist build, moved here (JavaScript, its Node, the guests' agent)
//   usr/bin/eastwest                          deploy/bin/eastwest (finds ../lib/eastwest beside its real path)
//   lib/systemd/system/eastwest-*.service     deploy/systemd/ (User eastwest, hardening, StateDirectory)
//   usr/lib/sysusers.d/eastwest.conf          the user, for systemd-sysusers
//   etc/eastwest/{agent,collector}.yaml       deploy/package/: loopback only, no TLS (conffiles)
//   usr/share/eastwest/grafana/               the dashboards and their provisioning
//   usr/share/doc/eastwest/                   copyright, examples/ (deploy/config: a collector beyond loopback, TLS)
// DIR/eastwest-<version>-linux-<arch>.tar.gz is that tree (`tar -xzf ... -C /`, or any directory: it is
// relocatable); DIR/eastwest_<version>_<debarch>.deb adds deploy/debian's maintainer scripts (dpkg-deb only).
// gzip by default (seconds); xz makes both a third smaller and takes minutes on a small machine.
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { arch } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { buildDist, ROOT, rootPackage } from "./build-dist.ts";

const DEB_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64" };
// why: the project has no mailing address; EASTWEST_DEB_MAINTAINER sets the field for a real distribution.
const MAINTAINER = process.env["EASTWEST_DEB_MAINTAINER"] ?? "eastwest <eastwest@localhost>";
const CONFFILES = ["/etc/eastwest/agent.yaml", "/etc/eastwest/collector.yaml"];

export interface Packages {
  /** The install tree (as under /). */
  tree: string;
  tarball: string;
  deb: string;
  version: string;
}

function put(src: string, dst: string, mode: number): void {
  mkdirSync(resolve(dst, ".."), { recursive: true });
  copyFileSync(src, dst);
  chmodSync(dst, mode);
}

function putDir(src: string, dst: string, filter: (name: string) => boolean = () => true): void {
  for (const n of readdirSync(src).filter(filter)) put(join(src, n), join(dst, n), 0o644);
}

const COPYRIGHT = (version: string, node: string): string => `eastwest ${version}
Copyright (C) the eastwest contributors
License: Apache-2.0 (/usr/share/common-licenses/Apache-2.0 on Debian).

usr/lib/eastwest/node is Node.js ${node}, under the license in usr/share/doc/eastwest/node-LICENSE.
usr/lib/eastwest/lib/*.mjs bundle npm packages (grpc-js, protobuf-es, pino, zod, yaml, nats.js, OpenTelemetry
JS, InfluxDB client) under their own licenses: Apache-2.0 or MIT.
`;

/** The tree under / (see the head of this file) from a dist build. */
function layTree(dist: string, tree: string, version: string): void {
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(join(tree, "usr/lib"), { recursive: true });
  renameSync(dist, join(tree, "usr/lib/eastwest"));
  put(join(ROOT, "deploy/bin/eastwest"), join(tree, "usr/bin/eastwest"), 0o755);
  putDir(join(ROOT, "deploy/systemd"), join(tree, "lib/systemd/system"), (n) => n.endsWith(".service"));
  put(join(ROOT, "deploy/systemd/eastwest.sysusers.conf"), join(tree, "usr/lib/sysusers.d/eastwest.conf"), 0o644);
  putDir(join(ROOT, "deploy/package"), join(tree, "etc/eastwest"), (n) => n.endsWith(".yaml"));
  cpSync(join(ROOT, "grafana/dashboards"), join(tree, "usr/share/eastwest/grafana/dashboards"), { recursive: true });
  cpSync(join(ROOT, "grafana/provisioning"), join(tree, "usr/share/eastwest/grafana/provisioning"), { recursive: true });
  const doc = join(tree, "usr/share/doc/eastwest");
  putDir(join(ROOT, "deploy/config"), join(doc, "examples"), (n) => n.endsWith(".yaml"));
  put(join(process.execPath, "../../LICENSE"), join(doc, "node-LICENSE"), 0o644);
  writeFileSync(join(doc, "copyright"), COPYRIGHT(version, process.version));
  writeFileSync(join(doc, "changelog.gz"), gzipSync(CHANGELOG(version), { level: 9 }));
}

// why: Debian wants a changelog in a native package's doc directory; this one names the build, not a history.
const CHANGELOG = (version: string): string => `eastwest (${version}) unstable; urgency=medium

  * Package of eastwest ${version} (scripts/package.ts).

 -- ${MAINTAINER}  ${new Date().toUTCString().replace("GMT", "+0000")}
`;

/** Kibibytes under a directory (dpkg's Installed-Size). */
function sizeKiB(dir: string): number {
  return Number(execFileSync("du", ["-sk", "--apparent-size", dir], { encoding: "utf8" }).split("\t")[0]);
}

function control(version: string, debArch: string, installedKiB: number): string {
  return [
    "Package: eastwest",
    `Version: ${version}`,
    `Architecture: ${debArch}`,
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${installedKiB}`,
    // why: Node's Linux binary links against glibc and libstdc++ only; perl-base (Essential) runs tcpinfo's helper.
    "Depends: libc6 (>= 2.28), libstdc++6, adduser | systemd",
    "Recommends: iproute2, ethtool, iperf3, openssl",
    "Suggests: linux-perf, nats-server, grafana",
    "Section: net",
    "Priority: optional",
    "Description: East/West (VM-to-VM) network telemetry for KVM hypervisors",
    " The eastwest agent samples CPU, network devices, TCP, softirqs, offloads and",
    " QEMU/KVM exits on hosts and in guests; the collector stores its batches and",
    " explains iperf3 runs per 64 KiB packet. JavaScript with its own Node.js.",
    "",
  ].join("\n");
}

async function buildDeb(tree: string, out: string, version: string, compression: string): Promise<string> {
  const debArch = DEB_ARCH[arch()];
  if (!debArch) throw new Error(`no Debian architecture for ${arch()}`);
  const stage = join(out, `.deb-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  cpSync(tree, stage, { recursive: true, verbatimSymlinks: true });
  const meta = join(stage, "DEBIAN");
  mkdirSync(meta);
  writeFileSync(join(meta, "control"), control(version, debArch, sizeKiB(tree)));
  writeFileSync(join(meta, "conffiles"), CONFFILES.join("\n") + "\n");
  for (const s of ["postinst", "prerm", "postrm"]) put(join(ROOT, "deploy/debian", s), join(meta, s), 0o755);
  const deb = join(out, `eastwest_${version}_${debArch}.deb`);
  try {
    await promisify(execFile)("dpkg-deb", ["--root-owner-group", `-Z${compression}`, "--build", stage, deb]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return deb;
}

/** Builds the tree, the tarball and the .deb into out (see the head of this file). */
export async function buildPackages(out: string, compression = "gzip"): Promise<Packages> {
  if (compression !== "gzip" && compression !== "xz") throw new Error(`--compression ${compression}: gzip or xz`);
  const { version } = rootPackage();
  mkdirSync(out, { recursive: true });
  const dist = await buildDist(out);
  const tree = join(out, "root");
  layTree(dist, tree, version);
  const tarball = join(out, `eastwest-${version}-linux-${arch()}.tar.${compression === "xz" ? "xz" : "gz"}`);
  // why: both compress the same 120 MB; side by side they take the time of one where there are two cores.
  const [, deb] = await Promise.all([
    promisify(execFile)("tar", [compression === "xz" ? "-cJf" : "-czf", tarball, "--owner=0", "--group=0", "--sort=name", "-C", tree, "."], { env: { ...process.env, XZ_OPT: "-T0" } }),
    buildDeb(tree, out, version, compression),
  ]);
  return { tree, tarball, deb, version };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { out: { type: "string", default: join(ROOT, "dist") }, compression: { type: "string", default: "gzip" } } });
  buildPackages(resolve(values.out as string), values.compression as string).then(
    (p) => {
      for (const f of [p.tarball, p.deb]) process.stdout.write(`${f} (${(statSync(f).size / 1e6).toFixed(1)} MB)\n`);
      process.stdout.write(`${p.tree} (${(sizeKiB(p.tree) / 1024).toFixed(1)} MiB installed)\n`);
    },
    (err: unknown) => {
      process.stderr.write(`package: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
