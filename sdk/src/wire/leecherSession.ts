/**
 * The leecher's side of `w3t_pay` for one download: which terms it accepts, and what its session key signs.
 *
 * The rule: a voucher is signed only for bytes actually received from that seeder — blocks its wire requested, each
 * once (`RequestedBlocks` in ./leecherExtension.ts; an unsolicited block refuses the peer), on a wire where the seeder
 * proved its address (./proofs.ts), counted per wire and summed per seeder address — cumulative per seeder, priced at
 * the seeder's announced price, which must not exceed the escrow's cap. WebTorrent hash-checks every piece: the session
 * remembers which seeders sent blocks of each piece not yet verified (`blockReceived`), and when a piece fails its
 * check (`pieceFailed`) every seeder that sent part of it is refused (`bad_data`) and paid nothing more. A seeder
 * sending bad data is so paid at most for the blocks whose pieces were still unchecked when it asked (a piece is
 * checked, asynchronously, as its last block arrives); an honest seeder that shared a failed piece with it is refused
 * too, as the session cannot tell which of them sent the bad block. In upfront mode the one voucher for the whole
 * download goes to the first seeder that asks; others are told the deposit is taken. Receipts attest received bytes
 * only, in every mode.
 *
 * One session serves every wire of the download; `settle()` sends each seeder a final voucher and receipt for the
 * bytes it served past its last checkpoint (when the download completes) and waits for the seeders' acks.
 *
 * Payment strategy `transactions` pays each checkpoint with the wallet instead: the session calls `release`, which
 * sends the escrow's `release(escrowId, seeder, cumulativeBytes, pricePerMiB)` (one wallet prompt) and resolves once it is
 * mined; the seeder is then told `released` and checks the chain. Only checkpoints of the schedule can be released,
 * so a seeder is paid up to the last checkpoint its bytes reached, at its own price (as vouchers pay). If the wallet declines (or the transaction fails) the session stops paying: `paused`
 * says why, the seeders stay at their checkpoint, and `resume()` asks the wallet again. Receipts are signed
 * silently by the session key in both strategies.
 */
import type { Address, Hash, Hex } from "viem";
import { CheckpointMode, FIRST_CHECKPOINT, amountFor, checkpoints } from "../checkpointSchedule.ts";
import type { SessionKey, SignedDelegation, SigningContext } from "../sessionKey.ts";
import { isUserRejection, shortMessage } from "../errors.ts";
import {
  RefusalReason,
  type HelloMessage,
  type PaymentModeName,
  type PaymentStrategy,
  type ReceiptMessage,
  type ReleasedMessage,
  type RefusalMessage,
  type TermsMessage,
  type VoucherMessage,
  type VoucherRequestMessage,
  type W3tPayMessage,
} from "./messages.ts";
import { signAdmission, type WireBinding } from "./proofs.ts";

export interface LeecherSessionOptions {
  chainId: number;
  contracts: { market: Address; escrow: Address; rebatePool: Address };
  contentId: bigint;
  /** The license holder paying (its wallet opened the escrow and signed the delegation). */
  account: Address;
  /** The escrow paying the download; null when downloading free content, or while `opening` runs. */
  escrowId: bigint | null;
  /**
   * The escrow's id once its `open` is mined, when the download connects to its seeders while the wallet opens it:
   * every wire waits for it before its hello. A rejection (the wallet declined) leaves every wire unanswered.
   */
  opening?: Promise<bigint>;
  mode: PaymentModeName;
  /** The escrow's maxBytes (the content size when free). */
  maxBytes: bigint;
  /** The escrow's price cap; a seeder asking more is refused. */
  pricePerMiBCap: bigint;
  /** The delegated key: proves the wire, signs the receipts. */
  sessionKey: SessionKey;
  /**
   * The key the escrow registered, when it is not `sessionKey`: signs the vouchers and the Close. A fresh one per
   * escrow keeps the day-long delegated key from signing any voucher.
   */
  escrowKey?: SessionKey;
  delegation: SignedDelegation;
  /** How checkpoints are paid. Default `vouchers`. */
  payment?: PaymentStrategy;
  /**
   * Strategy `transactions`: sends the escrow's `release` from the wallet and resolves with its hash once mined;
   * rejects when the user declines or the transaction fails.
   */
  release?: (release: ReleaseRequest) => Promise<Hash>;
}

export interface ReleaseRequest {
  escrowId: bigint;
  seeder: Address;
  cumulativeBytes: bigint;
  /** The seeder's price from its terms (at most the escrow's cap): what the release pays per MiB. */
  pricePerMiB: bigint;
}

/** One checkpoint released (or to be released) through the wallet. */
export interface ReleaseRecord extends ReleaseRequest {
  state: "pending" | "mined" | "declined" | "failed";
  txHash: Hash | null;
  error: string | null;
}

/** Why a `transactions` session stopped paying. */
export interface PaymentPause {
  release: ReleaseRecord;
  /** For the user: what happened and what they can do. */
  message: string;
}

/** What the session knows about one seeder (one payee address), over all its wires. */
export interface SeederLedger {
  seeder: Address;
  pricePerMiB: bigint;
  /** Bytes received in pieces from this seeder. */
  received: bigint;
  voucher: VoucherMessage | null;
  /** The latest checkpoint the wallet released to this seeder (strategy `transactions`). */
  released: ReleasedMessage | null;
  /** The payment the seeder asked for last (bytes), so that `resume()` knows what to release. */
  requestedBytes: bigint;
  receipt: ReceiptMessage | null;
  /** What the seeder acknowledged having stored. */
  ackedVoucherBytes: bigint;
  ackedReceiptBytes: bigint;
  /** What was sent to the seeder on the current wires (reset to the acknowledged amounts on a new wire). */
  sentVoucherBytes: bigint;
  sentReceiptBytes: bigint;
  /** The seeder's refusal, if it refused us (or we refused it). */
  refusal: RefusalMessage | null;
  /** Senders on the live wires to this seeder (maintained by the extension). */
  senders: Set<(message: W3tPayMessage) => void>;
  /** Refuse this seeder on each live wire (maintained by the extension). */
  refusers: Set<(refusal: RefusalMessage) => void>;
}

/** What a finished session's final vouchers carry. */
export interface FinalPayments {
  /** Every seeder acknowledged its final voucher and receipt in time. */
  acknowledged: boolean;
  seeders: { seeder: Address; receivedBytes: bigint; paidBytes: bigint; paidAmount: bigint }[];
  /** Bytes received from every seeder: what the receipts attest. */
  receivedBytes: bigint;
  /** Bytes the vouchers (or releases) cover, all seeders together; `receivedBytes` less what free seeders sent, in exponential mode. */
  paidBytes: bigint;
  /** What the vouchers and releases pay, all seeders together. */
  paidAmount: bigint;
}

export interface LeecherObserver {
  terms?(terms: TermsMessage): void;
  voucherSigned?(ledger: SeederLedger, voucher: VoucherMessage): void;
  receiptSigned?(ledger: SeederLedger, receipt: ReceiptMessage): void;
  ack?(ledger: SeederLedger): void;
  refused?(ledger: SeederLedger | null, refusal: RefusalMessage, bySeeder: boolean): void;
  /** A release transaction was asked of the wallet, mined, declined or failed. */
  release?(record: ReleaseRecord): void;
  /** The session stopped paying (the wallet declined a release) or resumed (null). */
  paused?(pause: PaymentPause | null): void;
}

/** Refusals that hold for the rest of the download, on every wire to that seeder, new ones included. */
const FOR_GOOD: ReadonlySet<string> = new Set([RefusalReason.BadData, RefusalReason.Unsolicited]);

/** Whether the leecher refused this seeder for the rest of the download (bad data, unsolicited blocks). */
export function refusedForGood(ledger: SeederLedger): boolean {
  return ledger.refusal !== null && FOR_GOOD.has(ledger.refusal.reason);
}

export class LeecherSession {
  readonly options: LeecherSessionOptions;
  readonly ledgers = new Map<Address, SeederLedger>();
  observer: LeecherObserver = {};
  /** Session-key signatures made (vouchers + receipts): the benchmark's "signatures per GiB". */
  signatures = 0;
  /** Upfront mode: the seeder the one voucher went to. */
  upfrontSeeder: Address | null = null;
  readonly payment: PaymentStrategy;
  /** Strategy `transactions`: every release asked of the wallet, in order. */
  readonly releases: ReleaseRecord[] = [];
  /** Set when the wallet declined a release: nothing more is paid until `resume()`. */
  paused: PaymentPause | null = null;
  readonly #ackWaiters = new Set<() => void>();
  /** The seeders that sent blocks of each piece not yet verified. */
  readonly #unverified = new Map<number, Set<SeederLedger>>();
  /** Set by `finish()`: the bytes counted are final, and so are the vouchers signed for them. */
  #finished = false;
  /** Resolves once the escrow is known (`options.opening`): the wires' hellos wait for it. */
  readonly escrowKnown: Promise<void>;

  constructor(options: LeecherSessionOptions) {
    this.options = options;
    this.escrowKnown = options.opening
      ? options.opening.then((escrowId) => {
          this.options.escrowId = escrowId;
        })
      : Promise.resolve();
    // The opener awaits `opening` and reports its failure; the wires only wait here.
    this.escrowKnown.catch(() => undefined);
    this.payment = options.payment ?? "vouchers";
    if (this.payment === "transactions" && !options.release) throw new Error("payment by transactions needs a release function");
  }

  /** The key that signs this escrow's vouchers and Close. */
  get voucherKey(): SessionKey {
    return this.options.escrowKey ?? this.options.sessionKey;
  }

  get signingContext(): SigningContext {
    return { chainId: this.options.chainId, escrow: this.options.contracts.escrow, rebatePool: this.options.contracts.rebatePool };
  }

  /** The refusal to send when the seeder's terms are unacceptable; null to go on with a hello. */
  checkTerms(terms: TermsMessage): RefusalMessage | null {
    const o = this.options;
    const mismatch =
      terms.chainId !== o.chainId
        ? "another chain"
        : terms.market !== o.contracts.market || terms.escrow !== o.contracts.escrow || terms.rebatePool !== o.contracts.rebatePool
          ? "other contracts"
          : terms.contentId !== o.contentId
            ? "another content"
            : terms.firstCheckpoint !== FIRST_CHECKPOINT
              ? "an unknown checkpoint schedule"
              : null;
    if (mismatch) return { type: "refusal", reason: RefusalReason.Terms, message: `terms for ${mismatch}` };
    if (terms.pricePerMiB > 0n) {
      if (o.escrowId === null) return { type: "refusal", reason: RefusalReason.NoEscrow, message: "no escrow to pay a priced seeder" };
      if (terms.pricePerMiB > o.pricePerMiBCap) {
        return { type: "refusal", reason: RefusalReason.Price, message: `price ${terms.pricePerMiB} over the cap ${o.pricePerMiBCap}` };
      }
      if (!terms.modes.includes(o.mode)) return { type: "refusal", reason: RefusalReason.Terms, message: `${o.mode} mode not served` };
      if (this.payment === "transactions" && !terms.acceptsReleases) {
        return { type: "refusal", reason: RefusalReason.Terms, message: "the seeder takes vouchers only, not on-chain releases" };
      }
    }
    return null;
  }

  /**
   * The hello for one wire: the session key signs the seeder's nonce bound to the wire (so the hello admits nobody
   * else, on no other wire), and `nonce` is the challenge the seeder's identity must sign.
   */
  async hello(wire: WireBinding, seederNonce: Hex, nonce: Hex): Promise<HelloMessage> {
    const o = this.options;
    return {
      type: "hello",
      account: o.account,
      escrowId: o.escrowId,
      sessionKey: o.sessionKey.address,
      ...(o.escrowKey ? { escrowKey: o.escrowKey.address } : {}),
      delegation: { expiry: o.delegation.expiry, signature: o.delegation.signature },
      payment: this.payment,
      nonce,
      proof: await signAdmission(o.sessionKey, o.chainId, wire, seederNonce),
    };
  }

  /** The ledger of a seeder that sent acceptable terms. */
  ledgerFor(terms: TermsMessage): SeederLedger {
    let ledger = this.ledgers.get(terms.seeder);
    if (!ledger) {
      ledger = {
        seeder: terms.seeder,
        pricePerMiB: terms.pricePerMiB,
        received: 0n,
        voucher: null,
        released: null,
        requestedBytes: 0n,
        receipt: null,
        ackedVoucherBytes: 0n,
        ackedReceiptBytes: 0n,
        sentVoucherBytes: 0n,
        sentReceiptBytes: 0n,
        refusal: null,
        senders: new Set(),
        refusers: new Set(),
      };
      this.ledgers.set(terms.seeder, ledger);
    }
    return ledger;
  }

  get paid(): boolean {
    return this.options.escrowId !== null;
  }

  /**
   * Answers a seeder's checkpoint: the voucher and receipt to send (new ones, or the last ones again if the
   * seeder has not acknowledged them), or a refusal. Override to model other leechers in tests.
   */
  async answer(ledger: SeederLedger, request: VoucherRequestMessage): Promise<W3tPayMessage[]> {
    if (refusedForGood(ledger)) return [ledger.refusal!];
    if (this.#finished) return this.unsent(ledger);
    if (request.voucherBytes !== null && this.paid && ledger.pricePerMiB > 0n) {
      if (request.voucherBytes > ledger.requestedBytes) ledger.requestedBytes = request.voucherBytes;
      const refusal =
        this.payment === "transactions"
          ? this.#releaseUpTo(ledger, request.voucherBytes)
          : await this.#voucherUpTo(ledger, request.voucherBytes);
      if (refusal) return [refusal];
    }
    await this.#receiptUpTo(ledger, request.cumulativeBytes);
    return this.unsent(ledger);
  }

  /** The voucher and receipt the seeder has not been sent yet on its current wires; marks them sent. */
  unsent(ledger: SeederLedger): W3tPayMessage[] {
    const messages: W3tPayMessage[] = [];
    if (ledger.voucher && ledger.voucher.cumulativeBytes > ledger.sentVoucherBytes) {
      messages.push(ledger.voucher);
      ledger.sentVoucherBytes = ledger.voucher.cumulativeBytes;
    }
    if (ledger.released && ledger.released.cumulativeBytes > ledger.sentVoucherBytes) {
      messages.push(ledger.released);
      ledger.sentVoucherBytes = ledger.released.cumulativeBytes;
    }
    if (ledger.receipt && ledger.receipt.cumulativeBytes > ledger.sentReceiptBytes) {
      messages.push(ledger.receipt);
      ledger.sentReceiptBytes = ledger.receipt.cumulativeBytes;
    }
    return messages;
  }

  /** A new wire to the seeder: what it did not acknowledge may be lost, so it is sent again when asked. */
  reconnected(ledger: SeederLedger): void {
    ledger.sentVoucherBytes = ledger.ackedVoucherBytes;
    ledger.sentReceiptBytes = ledger.ackedReceiptBytes;
  }

  /** Signs a voucher for up to `wanted` bytes, never more than received (exponential) or the deposit (upfront). */
  async #voucherUpTo(ledger: SeederLedger, wanted: bigint): Promise<RefusalMessage | null> {
    const o = this.options;
    let bytes: bigint;
    if (o.mode === "upfront") {
      if (this.upfrontSeeder !== null && this.upfrontSeeder !== ledger.seeder) {
        return { type: "refusal", reason: RefusalReason.UpfrontTaken, message: "the upfront deposit went to another seeder" };
      }
      this.upfrontSeeder = ledger.seeder;
      bytes = o.maxBytes;
    } else {
      bytes = wanted < ledger.received ? wanted : ledger.received;
    }
    if (bytes > o.maxBytes) bytes = o.maxBytes;
    if (bytes <= (ledger.voucher?.cumulativeBytes ?? 0n)) return null;
    const voucher = {
      escrowId: o.escrowId!,
      seeder: ledger.seeder,
      cumulativeBytes: bytes,
      cumulativeAmount: amountFor(bytes, ledger.pricePerMiB),
    };
    const signature: Hex = await this.voucherKey.signVoucher(this.signingContext, voucher);
    this.signatures++;
    ledger.voucher = { type: "voucher", ...voucher, signature };
    this.observer.voucherSigned?.(ledger, ledger.voucher);
    return null;
  }

  /** Bytes covered by what this seeder was paid: its latest voucher or release. */
  paidBytes(ledger: SeederLedger): bigint {
    const voucher = ledger.voucher?.cumulativeBytes ?? 0n;
    const released = ledger.released?.cumulativeBytes ?? 0n;
    return voucher > released ? voucher : released;
  }

  /** The checkpoint a release pays for `wanted` bytes: the last one reached by the bytes received (upfront: all). */
  releasableBytes(ledger: SeederLedger, wanted: bigint): bigint {
    const o = this.options;
    if (o.mode === "upfront") return o.maxBytes;
    const limit = wanted < ledger.received ? wanted : ledger.received;
    let bytes = 0n;
    for (const checkpoint of checkpoints(CheckpointMode.Exponential, o.maxBytes)) if (checkpoint <= limit) bytes = checkpoint;
    return bytes;
  }

  /**
   * Strategy `transactions`: asks the wallet to release the checkpoint `wanted` bytes reached, unless one is on its
   * way or the session is paused. Does not wait for the wallet: the `released` message goes out once it is mined.
   */
  #releaseUpTo(ledger: SeederLedger, wanted: bigint): RefusalMessage | null {
    const o = this.options;
    if (o.mode === "upfront") {
      if (this.upfrontSeeder !== null && this.upfrontSeeder !== ledger.seeder) {
        return { type: "refusal", reason: RefusalReason.UpfrontTaken, message: "the upfront deposit went to another seeder" };
      }
      this.upfrontSeeder = ledger.seeder;
    }
    if (this.paused) return null;
    const bytes = this.releasableBytes(ledger, wanted);
    if (bytes <= this.paidBytes(ledger)) return null;
    const inFlight = this.releases.some((r) => r.seeder === ledger.seeder && r.state === "pending" && r.cumulativeBytes >= bytes);
    if (inFlight) return null;
    const record: ReleaseRecord = {
      escrowId: o.escrowId!,
      seeder: ledger.seeder,
      cumulativeBytes: bytes,
      pricePerMiB: ledger.pricePerMiB,
      state: "pending",
      txHash: null,
      error: null,
    };
    this.releases.push(record);
    this.observer.release?.(record);
    o.release!({ escrowId: record.escrowId, seeder: record.seeder, cumulativeBytes: bytes, pricePerMiB: record.pricePerMiB }).then(
      (txHash) => {
        record.state = "mined";
        record.txHash = txHash;
        this.observer.release?.(record);
        if (bytes > (ledger.released?.cumulativeBytes ?? 0n)) {
          ledger.released = { type: "released", escrowId: record.escrowId, seeder: ledger.seeder, cumulativeBytes: bytes, txHash };
        }
        const send = ledger.senders.values().next().value;
        if (send) for (const message of this.unsent(ledger)) send(message);
      },
      (error: unknown) => {
        const declined = isUserRejection(error);
        record.state = declined ? "declined" : "failed";
        record.error = declined ? "declined in the wallet" : shortMessage(error);
        this.observer.release?.(record);
        this.paused = {
          release: record,
          message: declined
            ? "You declined the release transaction, so the seeder waits at this checkpoint. Approve it to resume, or stop and close the escrow to get the rest of your deposit back."
            : `The release transaction failed (${record.error}). Try again, or stop and close the escrow to get the rest of your deposit back.`,
        };
        this.observer.paused?.(this.paused);
        this.wake();
      },
    );
    return null;
  }

  /** Strategy `transactions`: after a declined release, asks the wallet again for what each seeder is waiting for. */
  resume(): void {
    if (!this.paused) return;
    this.paused = null;
    this.observer.paused?.(null);
    for (const ledger of this.ledgers.values()) {
      if (ledger.refusal || ledger.senders.size === 0) continue;
      const wanted = ledger.requestedBytes > ledger.received ? ledger.received : ledger.requestedBytes;
      if (wanted > 0n) this.#releaseUpTo(ledger, wanted);
    }
  }

  async #receiptUpTo(ledger: SeederLedger, wanted: bigint): Promise<void> {
    const o = this.options;
    const bytes = wanted < ledger.received ? wanted : ledger.received;
    if (bytes <= (ledger.receipt?.cumulativeBytes ?? 0n)) return;
    const receipt = { leecher: o.account, seeder: ledger.seeder, contentId: o.contentId, cumulativeBytes: bytes };
    const signature: Hex = await o.sessionKey.signReceipt(this.signingContext, receipt);
    this.signatures++;
    ledger.receipt = { type: "receipt", ...receipt, signature };
    this.observer.receiptSigned?.(ledger, ledger.receipt);
  }

  /** A block of piece `index` that this leecher requested from this seeder arrived (`bytes` long). */
  blockReceived(ledger: SeederLedger, index: number, bytes: bigint): void {
    if (refusedForGood(ledger) || this.#finished) return;
    ledger.received += bytes;
    let sources = this.#unverified.get(index);
    if (!sources) this.#unverified.set(index, (sources = new Set()));
    sources.add(ledger);
  }

  /** Piece `index` passed its hash check. */
  pieceVerified(index: number): void {
    this.#unverified.delete(index);
  }

  /** Piece `index` failed its hash check: every seeder that sent part of it is refused and paid nothing more. */
  pieceFailed(index: number): void {
    const sources = this.#unverified.get(index);
    this.#unverified.delete(index);
    for (const ledger of sources ?? []) {
      this.refuseSeeder(ledger, { type: "refusal", reason: RefusalReason.BadData, message: `piece ${index} failed its hash check` });
    }
  }

  /** Refuses a seeder on every wire for the rest of the download (bad data, unsolicited blocks): it is paid nothing more. */
  refuseSeeder(ledger: SeederLedger, refusal: RefusalMessage): void {
    if (refusedForGood(ledger)) return;
    ledger.refusal = refusal;
    for (const refuse of [...ledger.refusers]) refuse(refusal);
    this.observer.refused?.(ledger, refusal, false);
    this.wake();
  }

  onAck(ledger: SeederLedger, voucherBytes: bigint, receiptBytes: bigint): void {
    if (voucherBytes > ledger.ackedVoucherBytes) ledger.ackedVoucherBytes = voucherBytes;
    if (receiptBytes > ledger.ackedReceiptBytes) ledger.ackedReceiptBytes = receiptBytes;
    this.observer.ack?.(ledger);
    this.wake();
  }

  /** Re-evaluates `settle()`'s waiters (after an ack, a refusal or a closed wire). */
  wake(): void {
    for (const wake of [...this.#ackWaiters]) wake();
  }

  /** Whether a seeder holds vouchers and receipts for everything it sent. */
  settled(ledger: SeederLedger): boolean {
    if (ledger.refusal || ledger.senders.size === 0) return true;
    const voucherDue = this.paid && ledger.pricePerMiB > 0n && this.options.mode === "exponential";
    // A release can pay only up to the last checkpoint the received bytes reached.
    const due = this.payment === "transactions" ? this.releasableBytes(ledger, ledger.received) : ledger.received;
    return (!voucherDue || ledger.ackedVoucherBytes >= due) && ledger.ackedReceiptBytes >= ledger.received;
  }

  /**
   * Pays every seeder for all bytes received (a final voucher and receipt past its last checkpoint) and resolves
   * once each has acknowledged them, or after `timeoutMs` (a seeder that went away loses its last interval).
   * Resolves true when every seeder acknowledged.
   */
  async settle(timeoutMs = 10_000): Promise<boolean> {
    for (const ledger of this.ledgers.values()) {
      if (this.settled(ledger)) continue;
      if (this.paid && ledger.pricePerMiB > 0n && this.options.mode === "exponential") {
        if (this.payment === "transactions") this.#releaseUpTo(ledger, ledger.received);
        else await this.#voucherUpTo(ledger, ledger.received);
      }
      await this.#receiptUpTo(ledger, ledger.received);
      const messages = this.unsent(ledger);
      const send = ledger.senders.values().next().value;
      for (const message of messages) send?.(message);
    }
    const allSettled = () => [...this.ledgers.values()].every((l) => this.settled(l));
    if (allSettled()) return true;
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        if (!allSettled()) return;
        done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (result: boolean) => {
        clearTimeout(timer);
        this.#ackWaiters.delete(wake);
        resolve(result);
      };
      this.#ackWaiters.add(wake);
    });
  }

  /**
   * Ends the download early (the viewer stopped): from now on no block is counted and no voucher signed but the
   * final ones, which `settle()` signs here for exactly the bytes each seeder delivered. Call it once the torrent asks
   * for nothing more (../stopFetching.ts), so that no seeder serves a block it will not be paid for. Resolves with
   * what the final vouchers carry, seeder by seeder.
   */
  async finish(timeoutMs: number): Promise<FinalPayments> {
    this.#finished = true;
    const acknowledged = await this.settle(timeoutMs);
    const seeders = [...this.ledgers.values()].map((l) => ({
      seeder: l.seeder,
      receivedBytes: l.received,
      paidBytes: this.paidBytes(l),
      paidAmount: amountFor(this.paidBytes(l), l.pricePerMiB),
    }));
    return {
      acknowledged,
      seeders,
      receivedBytes: this.receivedTotal,
      paidBytes: seeders.reduce((sum, s) => sum + s.paidBytes, 0n),
      paidAmount: seeders.reduce((sum, s) => sum + s.paidAmount, 0n),
    };
  }

  /**
   * Ends the escrow without a wallet prompt: the session key signs `Close(escrowId)` and every paid seeder still
   * connected gets it, to submit with its last voucher and waiver (`settleClose`: the refund then lands in that same
   * transaction when every paid seeder waived). Resolves with the number of seeders it was sent to (0 for a free
   * download, or when none is connected: the wallet's `close` is then the way out).
   */
  async sendClose(): Promise<number> {
    const escrowId = this.options.escrowId;
    if (escrowId === null) return 0;
    const signature = await this.voucherKey.signClose(this.signingContext, escrowId);
    let sent = 0;
    for (const ledger of this.ledgers.values()) {
      if (ledger.pricePerMiB === 0n || ledger.refusal) continue;
      const send = ledger.senders.values().next().value;
      if (!send) continue;
      send({ type: "close", escrowId, signature });
      sent++;
    }
    return sent;
  }

  /** Bytes received from every seeder together. */
  get receivedTotal(): bigint {
    let total = 0n;
    for (const ledger of this.ledgers.values()) total += ledger.received;
    return total;
  }
}
