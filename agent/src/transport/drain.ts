// Waiting for an outbox to empty: transports resolve waiters when their last
// batch is acknowledged (gRPC ack, JetStream PubAck).
export class DrainWaiters {
  #waiters: Array<() => void> = [];

  /** Call after every acknowledgement with the outbox's size. */
  notify(buffered: number): void {
    if (buffered > 0) return;
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves true once notify(0) is called, false after timeoutMs. */
  wait(buffered: number, timeoutMs: number): Promise<boolean> {
    if (buffered === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }
}
