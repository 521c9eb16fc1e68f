/**
 * While a transaction is open, other work on this connection waits. Callers test `busy` inline, right
 * before their synchronous work: were the check a tick earlier, a transaction begun in between would
 * swallow the work (and roll it back with itself).
 *
 * Waiters are served in arrival order and each is woken once. On release, everyone queued ahead of the
 * next transaction is let through, then that transaction holds the gate: the ones let through resume
 * first (promise jobs run in the order they were resolved) and their work is synchronous, so it runs
 * before that transaction begins. (Waking every waiter on every release, and sending back all but one,
 * cost more CPU than the statements themselves with many requests waiting.)
 */
export class Gate {
  private held = false;
  private readonly queue: { holds: boolean; go: () => void }[] = [];

  get busy(): boolean {
    return this.held;
  }

  /** Resolves when work outside a transaction may run at once; call it only while `busy`. */
  wait(): Promise<void> {
    return new Promise((go) => this.queue.push({ holds: false, go }));
  }

  /** Resolves with the release of the gate once this caller holds it. */
  acquire(): Promise<() => void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => this.queue.push({ holds: true, go: () => resolve(this.releaser()) }));
  }

  /** Resolves once no transaction holds the gate. */
  async idle(): Promise<void> {
    while (this.held) await this.wait();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held = false;
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        if (next.holds) this.held = true;
        next.go();
        if (next.holds) return;
      }
    };
  }
}
