// CertFileWatcher: TLS files re-read when they change. It implements grpc-js's `experimental.CertificateProvider`
// (structurally: common does not depend on grpc-js), so one watcher feeds both the CA and the identity of
// `createCertificateProviderServerCredentials` / `createCertificateProviderChannelCredentials`; new connections
// then use the newest accepted files, connections already open keep theirs.
//
// Contract:
//   - constructor reads and checks the files at once (files.ts) and throws TlsFilesError when they cannot be used,
//     so a bad path is an error at start.
//   - while a listener is registered, the files are read every reloadMs and compared with the accepted bytes;
//     a change that checks out (cert parses, matches its key, is valid now) is accepted and given to every
//     listener; one that does not (e.g. a rotation caught between writing the cert and the key) is reported once
//     through onRejected and the previous files stay in use. why: grpc-js's own FileWatcherCertificateProvider
//     hands on whatever it read, so a half-written rotation made the server drop every new connection.
//   - the timer is unref'd and stops when the last listener goes; close() is safe twice.
import { checkTlsMaterial, readTlsBytes, readTlsMaterial, TlsFilesError, type TlsBytes, type TlsMaterial, type TlsPaths } from "./files.ts";
import { errorMessage } from "../errors.ts";

export interface CaCertificateUpdate {
  caCertificate: Buffer;
}
export interface IdentityCertificateUpdate {
  certificate: Buffer;
  privateKey: Buffer;
}
type CaListener = (u: CaCertificateUpdate | null) => void;
type IdentityListener = (u: IdentityCertificateUpdate | null) => void;

export interface CertFileWatcherOptions {
  /** Config key of the section, for messages (e.g. "grpc.tls"). */
  label: string;
  paths: TlsPaths;
  reloadMs: number;
  /** New files were accepted (not called for the first read). */
  onReload?: (m: TlsMaterial) => void;
  /** Changed files could not be used; the previous ones stay. Called once per distinct content. */
  onRejected?: (problems: string[]) => void;
}

const same = (a: Buffer | undefined, b: Buffer | undefined) => (a === undefined ? b === undefined : b !== undefined && a.equals(b));

export class CertFileWatcher {
  readonly #o: CertFileWatcherOptions;
  #current: TlsMaterial;
  #rejected: TlsBytes | undefined;
  readonly #ca = new Set<CaListener>();
  readonly #identity = new Set<IdentityListener>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #lastProblems = "";

  constructor(o: CertFileWatcherOptions) {
    this.#o = o;
    this.#current = readTlsMaterial(o.label, o.paths);
  }

  /** What is in use now. */
  get material(): TlsMaterial {
    return this.#current;
  }

  addCaCertificateListener(l: CaListener): void {
    this.#ca.add(l);
    this.#watch();
    process.nextTick(l, this.#caUpdate());
  }

  removeCaCertificateListener(l: CaListener): void {
    this.#ca.delete(l);
    this.#unwatchIfIdle();
  }

  addIdentityCertificateListener(l: IdentityListener): void {
    this.#identity.add(l);
    this.#watch();
    process.nextTick(l, this.#identityUpdate());
  }

  removeIdentityCertificateListener(l: IdentityListener): void {
    this.#identity.delete(l);
    this.#unwatchIfIdle();
  }

  /** Reads the files now (the timer calls this); resolves once any change was accepted or rejected. */
  async check(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    let bytes: TlsBytes | undefined;
    try {
      bytes = await readTlsBytes(this.#o.label, this.#o.paths);
      const cur = this.#current;
      if (same(bytes.ca, cur.ca) && same(bytes.cert, cur.cert) && same(bytes.key, cur.key)) return;
      const r = this.#rejected;
      if (r && same(bytes.ca, r.ca) && same(bytes.cert, r.cert) && same(bytes.key, r.key)) return;
      this.#accept(checkTlsMaterial(this.#o.label, this.#o.paths, bytes));
    } catch (err) {
      this.#reject(err, bytes);
    } finally {
      this.#busy = false;
    }
  }

  #accept(m: TlsMaterial): void {
    this.#current = m;
    this.#rejected = undefined;
    this.#lastProblems = "";
    this.#o.onReload?.(m);
    const ca = this.#caUpdate();
    const id = this.#identityUpdate();
    for (const l of this.#ca) l(ca);
    for (const l of this.#identity) l(id);
  }

  /** why: what was refused is remembered, so that an unchanged bad file is reported once, not every reloadMs. */
  #reject(err: unknown, bytes: TlsBytes | undefined): void {
    const problems = err instanceof TlsFilesError ? err.problems : [errorMessage(err)];
    if (bytes) this.#rejected = bytes;
    const key = problems.join("\n");
    if (key === this.#lastProblems) return;
    this.#lastProblems = key;
    this.#o.onRejected?.(problems);
  }

  #caUpdate(): CaCertificateUpdate | null {
    return this.#current.ca ? { caCertificate: this.#current.ca } : null;
  }

  #identityUpdate(): IdentityCertificateUpdate | null {
    const { cert, key } = this.#current;
    return cert && key ? { certificate: cert, privateKey: key } : null;
  }

  #watch(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.check(), this.#o.reloadMs);
    this.#timer.unref();
  }

  #unwatchIfIdle(): void {
    if (this.#ca.size > 0 || this.#identity.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Stops watching; listeners get nothing more. Safe twice. */
  close(): void {
    this.#ca.clear();
    this.#identity.clear();
    this.#unwatchIfIdle();
  }
}
