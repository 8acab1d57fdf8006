// What a failed listen means, in the operator's words, for the collector's listeners (gRPC, HTTP API).

/** `cannot listen on HOST:PORT (WHAT): <why>`; the original error is its cause. */
export function listenError(what: string, host: string, port: number, err: unknown): Error {
  const text = err instanceof Error ? err.message : String(err);
  const why = /EADDRINUSE/.test(text)
    ? "address already in use (another collector, or another program, on that port?)"
    : /EACCES/.test(text)
      ? "permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE)"
      : /EADDRNOTAVAIL/.test(text)
        ? "no such local address"
        : text;
  return new Error(`cannot listen on ${host}:${port} (${what}): ${why}`, { cause: err });
}
