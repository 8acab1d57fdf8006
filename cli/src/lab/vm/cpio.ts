// A newc ("070701") cpio archive, the format the Linux kernel unpacks as an initramfs. Pure: entries in, bytes out.

export type CpioEntry =
  | { path: string; kind: "dir"; mode?: number }
  | { path: string; kind: "file"; data: Uint8Array; mode?: number }
  | { path: string; kind: "symlink"; target: string };

const TRAILER = "TRAILER!!!";
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

const hex8 = (n: number): string => n.toString(16).padStart(8, "0");
const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function header(ino: number, mode: number, size: number, nameBytes: number): string {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  return "070701" + [ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, nameBytes, 0].map(hex8).join("");
}

/** The archive's bytes: each entry in order (parents before children is the caller's duty), then the trailer. */
export function cpioArchive(entries: readonly CpioEntry[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const enc = new TextEncoder();
  let offset = 0;
  const push = (b: Uint8Array) => {
    out.push(b);
    offset += b.length;
  };
  const record = (ino: number, mode: number, name: string, data: Uint8Array) => {
    const nameBuf = enc.encode(name.replace(/^\/+/, "") + "\0");
    push(enc.encode(header(ino, mode, data.length, nameBuf.length)));
    push(nameBuf);
    push(new Uint8Array(pad4(offset)));
    if (data.length > 0) push(data);
    push(new Uint8Array(pad4(offset)));
  };
  entries.forEach((e, i) => {
    if (e.kind === "dir") record(i + 1, S_IFDIR | (e.mode ?? 0o755), e.path, new Uint8Array());
    else if (e.kind === "file") record(i + 1, S_IFREG | (e.mode ?? 0o644), e.path, e.data);
    else record(i + 1, S_IFLNK | 0o777, e.path, enc.encode(e.target));
  });
  record(0, 0, TRAILER, new Uint8Array());
  return out;
}
