/**
 * On-chain settlement of ended sessions, with retries. Every session to settle is first marked `settling` in the
 * store (with the receipt to settle with), so a settlement survives a crash: on start the settler picks up every
 * pending one.
 *
 * Settlements due together are simulated concurrently, then sent one after the other (one account, so one nonce
 * sequence) without waiting for each to be mined; their receipts are awaited concurrently. A failure is retried
 * with exponential backoff for as long as the session is open on-chain. A session that is no longer open was
 * settled (by us before a crash: the event is looked up) or reclaimed by its user after the grace period.
 */
import type { Hex } from "viem";
import { SESSION_STATUS, revertErrorName, type Chain } from "./chain.ts";
import type { Logger } from "./log.ts";
import type { SessionRecord, Store } from "./store.ts";

export interface SettlerOptions {
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface SettlementResult {
  sessionId: bigint;
  state: "settled" | "reclaimed" | "failed";
  chargedSeconds?: number;
  paid?: bigint;
  refunded?: bigint;
  txHash?: Hex | null;
}

type Prepared = { record: SessionRecord; request: Awaited<ReturnType<Chain["simulateSettle"]>> };

export class Settler {
  readonly #chain: Chain;
  readonly #store: Store;
  readonly #options: SettlerOptions;
  readonly #log: Logger;
  readonly #onResult: (result: SettlementResult) => void;
  readonly #due = new Set<bigint>();
  readonly #timers = new Map<bigint, NodeJS.Timeout>();
  readonly #awaiting = new Map<bigint, Promise<void>>();
  #draining = false;
  #stopped = false;
  /** Set once stop() returns: the store may be closed, so late answers are left for the next start. */
  #detached = false;

  constructor(chain: Chain, store: Store, options: SettlerOptions, log: Logger, onResult: (result: SettlementResult) => void = () => {}) {
    this.#chain = chain;
    this.#store = store;
    this.#options = options;
    this.#log = log;
    this.#onResult = onResult;
  }

  /** Schedules every settlement left pending in the store (after a restart). */
  resumePending(): number {
    const pending = this.#store.sessionsIn("settling");
    for (const record of pending) this.#schedule(record.sessionId, record.nextAttemptAt ?? 0);
    return pending.length;
  }

  /** Settles a session the store has just marked `settling`. */
  enqueue(sessionId: bigint): void {
    this.#schedule(sessionId, 0);
  }

  /** Settlements scheduled, running or awaiting their transaction. */
  get pending(): number {
    return this.#due.size + this.#timers.size + this.#awaiting.size;
  }

  /** Waits until nothing is due, sending or awaiting a receipt (retries scheduled later do not count), or the timeout. */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.#due.size > 0 || this.#draining || this.#awaiting.size > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops scheduling; waits (at most `timeoutMs`) for sent transactions to be mined. */
  async stop(timeoutMs = 5_000): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#awaiting.values()]),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    this.#detached = true;
  }

  #schedule(sessionId: bigint, at: number): void {
    if (this.#stopped || this.#awaiting.has(sessionId)) return;
    clearTimeout(this.#timers.get(sessionId));
    this.#timers.delete(sessionId);
    const delay = at - Date.now();
    if (delay <= 0) {
      this.#due.add(sessionId);
      queueMicrotask(() => void this.#drain());
      return;
    }
    this.#timers.set(
      sessionId,
      setTimeout(() => {
        this.#timers.delete(sessionId);
        this.#schedule(sessionId, 0);
      }, delay),
    );
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#due.size > 0 && !this.#stopped) {
        const batch = [...this.#due];
        this.#due.clear();
        const records = batch
          .map((id) => this.#store.getSession(id))
          .filter((record): record is SessionRecord => record?.state === "settling");
        const prepared = await Promise.all(records.map((record) => this.#prepare(record)));
        for (const item of prepared) if (item) await this.#send(item);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #prepare(record: SessionRecord): Promise<Prepared | undefined> {
    const { sessionId } = record;
    try {
      const signature = record.signature ?? "0x";
      return { record, request: await this.#chain.simulateSettle(sessionId, record.elapsedSeconds, signature) };
    } catch (error) {
      const name = revertErrorName(error);
      if (name === "SessionNotOpen") {
        await this.#resolveClosed(record).catch((e: Error) => this.#retry(record, `reading the closed session failed: ${e.message}`));
      } else if (name === "InvalidUsageSignature") {
        // Only a contract session key can get here (EOA receipts are checked as the contract checks them): its
        // wallet no longer accepts the receipt, so nothing is provable and the user gets everything back.
        this.#log.error("receipt rejected on-chain; settling with zero seconds", { sessionId, elapsedSeconds: record.elapsedSeconds });
        try {
          return { record, request: await this.#chain.simulateSettle(sessionId, 0, "0x") };
        } catch (zeroError) {
          this.#retry(record, (zeroError as Error).message);
        }
      } else {
        this.#retry(record, name ?? (error as Error).message);
      }
      return undefined;
    }
  }

  async #send({ record, request }: Prepared): Promise<void> {
    const { sessionId } = record;
    if (this.#stopped) return;
    let hash: Hex;
    try {
      hash = await this.#chain.send(request);
    } catch (error) {
      this.#retry(record, revertErrorName(error) ?? (error as Error).message);
      return;
    }
    if (this.#detached) return;
    this.#store.recordTxHash(sessionId, hash);
    const waiting = this.#chain.waitForSettle(hash, sessionId).then(
      (event) => {
        this.#awaiting.delete(sessionId);
        if (this.#detached) return;
        if (!event) {
          this.#retry(record, `settle transaction ${hash} reverted`);
          return;
        }
        const outcome = {
          txHash: hash,
          chargedSeconds: Number(event.elapsedSeconds),
          paid: event.paidToProvider,
          refunded: event.refundedToUser,
        };
        this.#store.markSettled(sessionId, outcome);
        this.#log.info("session settled", { sessionId, ...outcome });
        this.#onResult({ sessionId, state: "settled", ...outcome });
      },
      (error: Error) => {
        this.#awaiting.delete(sessionId);
        if (this.#detached) return;
        this.#retry(record, `waiting for ${hash}: ${error.message}`);
      },
    );
    this.#awaiting.set(sessionId, waiting);
  }

  /** The session is not open on-chain: record why. */
  async #resolveClosed(record: SessionRecord): Promise<void> {
    const { sessionId } = record;
    const onChain = await this.#chain.readSession(sessionId);
    if (this.#detached) return;
    if (onChain.status === SESSION_STATUS.settled) {
      const event = await this.#chain.findSettlement(sessionId);
      if (this.#detached) return;
      const outcome = {
        txHash: event?.txHash ?? null,
        chargedSeconds: Number(event?.elapsedSeconds ?? 0n),
        paid: event?.paidToProvider ?? 0n,
        refunded: event?.refundedToUser ?? 0n,
      };
      this.#store.markSettled(sessionId, outcome);
      this.#log.info("session was already settled", { sessionId, ...outcome });
      this.#onResult({ sessionId, state: "settled", ...outcome });
    } else if (onChain.status === SESSION_STATUS.reclaimed) {
      this.#store.markFinal(sessionId, "reclaimed", "the user reclaimed the deposit after the grace period");
      this.#log.warn("session was reclaimed by its user before settlement", { sessionId, elapsedSeconds: record.elapsedSeconds });
      this.#onResult({ sessionId, state: "reclaimed" });
    } else {
      this.#store.markFinal(sessionId, "failed", `the chain does not know session ${sessionId}`);
      this.#log.error("session unknown on-chain", { sessionId });
      this.#onResult({ sessionId, state: "failed" });
    }
  }

  #retry(record: SessionRecord, reason: string): void {
    if (this.#stopped) return;

    const attempts = (this.#store.getSession(record.sessionId)?.settleAttempts ?? record.settleAttempts) + 1;
    const backoff = Math.min(this.#options.retryMaxMs, this.#options.retryBaseMs * 2 ** Math.min(attempts - 1, 20));
    // Jitter spreads the retries of a burst that failed together (a chain outage) over time.
    const nextAttemptAt = Date.now() + Math.round(backoff * (0.5 + Math.random() / 2));
    this.#store.recordAttempt(record.sessionId, reason, nextAttemptAt);
    this.#log.warn("settlement failed; will retry", { sessionId: record.sessionId, attempts, reason, retryInMs: nextAttemptAt - Date.now() });
    this.#schedule(record.sessionId, nextAttemptAt);
  }
}
