/**
 * Which query runs its next slice, shared by the queries of one endpoint. When every query yielded on its own
 * (a setImmediate each), all of them ran a slice in the same turn of the event loop: an address running 4 heavy
 * queries held every other request back for 4 slices, and grew the indexer by the 4 queries' state at once.
 *
 * Here one slice runs per turn of the event loop, so pending I/O (a new request, an answer to write) waits at most
 * one slice. Turns go round the addresses waiting, one slice each. A query's first slice comes before the slices of
 * queries under way, within its address and across addresses, so a cheap query (done in one slice) is answered
 * after at most the slice running when it came and other first slices. After it, an address's queries under way
 * run one at a time, oldest first: an address holds the state of one query in execution (and of its others' first
 * slices), not of all its queries at once.
 */

interface Waiter {
  /** The query's sequence number: lower is older. */
  query: number;
  /** Whether the query has run a slice already. */
  started: boolean;
  resolve: () => void;
}

export class SliceScheduler {
  /** Waiting queries per address, in round-robin order (an address served goes to the back). */
  readonly #waiting = new Map<string, Waiter[]>();
  #scheduled = false;
  #nextQuery = 0;
  /** Slices granted since the start. */
  slices = 0;

  /** A sequence number for a new query (its age within its address). */
  newQuery(): number {
    return this.#nextQuery++;
  }

  /** Resolves when query `query` of `address` may run its next slice (its first when `started` is false). */
  turn(address: string, query: number, started: boolean): Promise<void> {
    return new Promise((resolve) => {
      const queue = this.#waiting.get(address);
      const waiter = { query, started, resolve };
      if (queue) {
        queue.push(waiter);
        queue.sort((a, b) => a.query - b.query);
      } else {
        this.#waiting.set(address, [waiter]);
      }
      this.#schedule();
    });
  }

  /** One grant per turn: a setImmediate queued while granting runs on the next turn, after pending I/O. */
  #schedule(): void {
    if (this.#scheduled || this.#waiting.size === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#grant();
      this.#schedule();
    });
  }

  /** The waiter an address would run next: a first slice, else its oldest query under way. */
  static #candidate(queue: Waiter[]): number {
    const fresh = queue.findIndex((waiter) => !waiter.started);
    return fresh === -1 ? 0 : fresh;
  }

  #grant(): void {
    let chosen: { address: string; index: number } | undefined;
    for (const [address, queue] of this.#waiting) {
      const index = SliceScheduler.#candidate(queue);
      chosen ??= { address, index };
      if (!queue[index]!.started) {
        chosen = { address, index };
        break;
      }
    }
    if (!chosen) return;
    const queue = this.#waiting.get(chosen.address)!;
    const [waiter] = queue.splice(chosen.index, 1);
    this.#waiting.delete(chosen.address);
    if (queue.length > 0) this.#waiting.set(chosen.address, queue);
    this.slices++;
    waiter!.resolve();
  }
}
