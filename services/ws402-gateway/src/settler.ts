/**
 * On-chain settlement of ended sessions, with retries. Every session to settle is first marked `settling` in the
 * store (with the receipt to settle with), so a settlement survives a crash: on start the settler picks up every
 * pending one.
 *
 * Settlements due together go out as a batch: simulated and gas-estimated concurrently, then signed with
 * consecutive nonces (one lookup per batch) and sent together, one `eth_sendRawTransaction` each, without waiting
 * for any to be mined. One poller then collects the receipts of everything in flight. A failure is retried with
 * exponential backoff for as long as the session is open on-chain. A session that is no longer open was settled
 * (by us before a crash: the event is looked up) or reclaimed by its user after the grace period.
 */
import type { Hex } from "viem";
import { SESSION_STATUS, revertErrorName, type Chain, type PreparedSettle } from "./chain.ts";
import type { Logger } from "./log.ts";
import type { SignatureVerifier } from "./signatures.ts";
import type { SessionRecord, Store } from "./store.ts";

export interface SettlerOptions {
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often the receipts of sent settlements are polled. */
  pollingMs: number;
  /** A sent settlement not mined after this long is prepared and sent again (it may have been dropped). */
  receiptTimeoutMs: number;
}

export interface SettlementResult {
  sessionId: bigint;
  state: "settled" | "reclaimed" | "failed";
  chargedSeconds?: number;
  paid?: bigint;
  refunded?: bigint;
  txHash?: Hex | null;
}

interface Prepared {
  record: SessionRecord;
  prepared: PreparedSettle;
}

interface InFlight {
  record: SessionRecord;
  hash: Hex;
  sentAt: number;
}

export class Settler {
  readonly #chain: Chain;
  readonly #verifier: SignatureVerifier;
  readonly #store: Store;
  readonly #options: SettlerOptions;
  readonly #log: Logger;
  readonly #onResult: (result: SettlementResult) => void;
  readonly #due = new Set<bigint>();
  readonly #timers = new Map<bigint, NodeJS.Timeout>();
  readonly #inFlight = new Map<bigint, InFlight>();
  #pollTimer?: NodeJS.Timeout;
  #polling?: Promise<void>;
  #draining = false;
  #stopped = false;
  /** Set once stop() returns: the store may be closed, so late answers are left for the next start. */
  #detached = false;

  constructor(
    chain: Chain,
    verifier: SignatureVerifier,
    store: Store,
    options: SettlerOptions,
    log: Logger,
    onResult: (result: SettlementResult) => void = () => {},
  ) {
    this.#chain = chain;
    this.#verifier = verifier;
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
    return this.#due.size + this.#timers.size + this.#inFlight.size;
  }

  /** Waits until nothing is due, sending or in flight (retries scheduled later do not count), or the timeout. */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.#due.size > 0 || this.#draining || this.#inFlight.size > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops scheduling and polling; what is left is picked up from the store at the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    clearTimeout(this.#pollTimer);
    await this.#polling;
    this.#detached = true;
  }

  #schedule(sessionId: bigint, at: number): void {
    if (this.#stopped || this.#inFlight.has(sessionId)) return;
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
        const ready = (await Promise.all(records.map((record) => this.#prepare(record)))).filter(
          (item): item is Prepared => item !== undefined,
        );
        if (ready.length > 0 && !this.#stopped) await this.#send(ready);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #prepare(record: SessionRecord): Promise<Prepared | undefined> {
    const { sessionId, elapsedSeconds } = record;
    // Receipts were checked by r and s; the contract recovers with v too, so fix v once, here.
    const signature =
      record.signature === null || elapsedSeconds === 0
        ? "0x"
        : (this.#verifier.settleableUsage(sessionId, elapsedSeconds, record.signature, record.sessionKey) ?? record.signature);
    try {
      return { record, prepared: await this.#chain.prepareSettle(sessionId, elapsedSeconds, signature) };
    } catch (error) {
      const name = revertErrorName(error);
      if (name === "SessionNotOpen") {
        await this.#resolveClosed(record).catch((e: Error) => this.#retry(record, `reading the closed session failed: ${e.message}`));
      } else if (name === "InvalidUsageSignature") {
        // Only a contract session key can get here (EOA receipts are checked as the contract checks them): its
        // wallet no longer accepts the receipt, so nothing is provable and the user gets everything back.
        this.#log.error("receipt rejected on-chain; settling with zero seconds", { sessionId, elapsedSeconds: record.elapsedSeconds });
        try {
          return { record, prepared: await this.#chain.prepareSettle(sessionId, 0, "0x") };
        } catch (zeroError) {
          this.#retry(record, (zeroError as Error).message);
        }
      } else {
        this.#retry(record, name ?? (error as Error).message);
      }
      return undefined;
    }
  }

  /**
   * Sends a batch with consecutive nonces, all at once (the transport batches them into one request). A send that
   * fails is retried with a fresh nonce lookup; the pending count starts at its gap, so the retry fills it.
   */
  async #send(batch: Prepared[]): Promise<void> {
    let nonce: number;
    let fees: Awaited<ReturnType<Chain["nextNonceAndFees"]>>["fees"];
    try {
      ({ nonce, fees } = await this.#chain.nextNonceAndFees());
    } catch (error) {
      for (const { record } of batch) this.#retry(record, `no nonce or fees: ${(error as Error).message}`);
      return;
    }
    const sent = await Promise.allSettled(batch.map(({ prepared }, index) => this.#chain.sendSettle(prepared, nonce + index, fees)));
    if (this.#detached) return;
    sent.forEach((result, index) => {
      const { record } = batch[index]!;
      if (result.status === "rejected") {
        this.#retry(record, revertErrorName(result.reason) ?? (result.reason as Error).message);
        return;
      }
      this.#store.recordTxHash(record.sessionId, result.value);
      this.#inFlight.set(record.sessionId, { record, hash: result.value, sentAt: Date.now() });
    });
    this.#startPolling();
  }

  #startPolling(): void {
    if (this.#pollTimer || this.#stopped) return;
    this.#pollTimer = setTimeout(() => {
      this.#polling = this.#pollReceipts().finally(() => {
        this.#pollTimer = undefined;
        this.#polling = undefined;
        if (this.#inFlight.size > 0) this.#startPolling();
      });
    }, this.#options.pollingMs);
  }

  async #pollReceipts(): Promise<void> {
    const entries = [...this.#inFlight.values()];
    const receipts = await Promise.all(entries.map(({ hash }) => this.#chain.receiptOf(hash).catch(() => undefined)));
    if (this.#detached) return;
    entries.forEach(({ record, hash, sentAt }, index) => {
      const receipt = receipts[index];
      const { sessionId } = record;
      if (!receipt) {
        if (Date.now() - sentAt > this.#options.receiptTimeoutMs) {
          this.#inFlight.delete(sessionId);
          this.#retry(record, `settle transaction ${hash} not mined in time`);
        }
        return;
      }
      this.#inFlight.delete(sessionId);
      const event = this.#chain.settledEventIn(receipt, sessionId);
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
    });
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
    this.#log.warn("settlement failed; will retry", {
      sessionId: record.sessionId,
      attempts,
      reason,
      retryInMs: nextAttemptAt - Date.now(),
    });
    this.#schedule(record.sessionId, nextAttemptAt);
  }
}
