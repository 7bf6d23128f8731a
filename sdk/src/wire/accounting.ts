/**
 * Byte accounting of `w3t_pay` on the seeder's side: what one paying account (an escrow, or a licence for free
 * content) has been served, what it has paid for with vouchers and receipts, and how far the seeder may go before
 * the next payment — the checkpoint schedule of ../checkpointSchedule.ts, shared with the escrow contract.
 *
 * The rule: the seeder asks for a payment when its bytes reach the next checkpoint after what is paid (`allowance`),
 * and goes on sending while the answer comes back, for at most `PAYMENT_GRACE` more bytes; there it stops until a
 * stored payment covers the checkpoint. In exponential mode the first interval (10 MiB) is served on credit and
 * every later one is paid for before the seeder is `PAYMENT_GRACE` into it, so a leecher who stops paying gets at
 * most one interval plus `PAYMENT_GRACE` it did not pay for. In upfront mode nothing is sent before a voucher for the
 * whole download (no grace). Receipts (for the rebate pool) follow the exponential checkpoints in every mode,
 * free content included.
 */
import type { Address } from "viem";
import { CheckpointMode, amountFor, nextCheckpoint } from "../checkpointSchedule.ts";
import type { PaymentModeName, RefusalReason, VoucherRequestMessage } from "./messages.ts";

export interface ServiceAccountInit {
  /** "escrow:<id>" for paid downloads, "free:<leecher>:<contentId>" for free ones. */
  key: string;
  leecher: Address;
  sessionKey: Address;
  /** The escrow's registered key, which signs vouchers and the Close; default `sessionKey`. */
  voucherKey?: Address;
  contentId: bigint;
  /** The paying escrow; null when the content is served free (receipts only). */
  escrowId: bigint | null;
  mode: PaymentModeName;
  /** Bytes the escrow pays for (its `maxBytes`), or the content size when free. */
  maxBytes: bigint;
  /** The seeder's price in wei per MiB (0 when free). */
  pricePerMiB: bigint;
  /** The escrow's price cap: a voucher above `amountFor(bytes, cap)` would not redeem. */
  priceCapPerMiB: bigint;
  /** The wallet's delegation of the session key, for the receipts. */
  delegation: { expiry: bigint; signature: `0x${string}` };
  /** Restored from the seeder's store after a restart (all 0 for a new account). */
  voucherBytes?: bigint;
  voucherAmount?: bigint;
  receiptBytes?: bigint;
}

/**
 * How far past a checkpoint a seeder paid by vouchers goes on sending while the voucher for the checkpoint comes back
 * (δ): 2 MiB, a fifth of the smallest interval (10 MiB), 128 blocks of 16 KiB. The leecher can sign only for bytes it
 * received, so a voucher covering the checkpoint can be asked for only once the checkpoint's bytes are out; δ lets
 * its round trip (signing, the seeder's checks and durable store) overlap the transfer instead of stopping the wire:
 * at 20-100 MiB/s it is 20-100 ms of sending. It is the seeder's extra risk: a leecher that stops paying gets at most
 * one interval plus δ unpaid.
 */
export const PAYMENT_GRACE = 2n << 20n;

/** Per-account state shared by every wire that serves it. */
export class ServiceAccount {
  readonly key: string;
  readonly leecher: Address;
  /** The delegated key: signs the receipts. */
  readonly sessionKey: Address;
  /** The escrow's key: signs the vouchers and the Close. */
  readonly voucherKey: Address;
  readonly contentId: bigint;
  readonly escrowId: bigint | null;
  readonly mode: PaymentModeName;
  readonly maxBytes: bigint;
  readonly pricePerMiB: bigint;
  readonly priceCapPerMiB: bigint;
  readonly delegation: { expiry: bigint; signature: `0x${string}` };
  /**
   * Bytes sent. After a restart: the bound the seeder recorded before sending (`servedBound`), so the bytes sent
   * since the last payment are not served again on credit.
   */
  served: bigint;
  /**
   * What the seeder's store holds as sent, at least `served`: a seeder that records it (`SeederBackend.recordServed`)
   * raises it, durably, before sending past it.
   */
  servedBound: bigint;
  voucherAmount: bigint;
  /** The escrow stopped paying (closing or refunded): nothing more is served on this account. */
  closed = false;
  /** The leecher itself ended the download (its signed Close): nothing is refused to it. */
  leecherClosed = false;
  /**
   * The bytes of the stored voucher whose next interval the seeder has not secured yet (`SeederBackend.secure` is
   * running), else null: until it is, no wire of the account is served more than δ past them.
   */
  securing: bigint | null = null;
  /** Why the seeder stopped serving this account (its reservation failed); every wire refuses its peer with it. */
  refusal: { reason: RefusalReason; message: string } | null = null;
  #voucherBytes: bigint;
  #receiptBytes: bigint;
  /** The allowance is checked for every block sent: computed once per payment. */
  #allowance: bigint | null = null;
  readonly #listeners = new Set<() => void>();

  constructor(init: ServiceAccountInit) {
    this.key = init.key;
    this.leecher = init.leecher;
    this.sessionKey = init.sessionKey;
    this.voucherKey = init.voucherKey ?? init.sessionKey;
    this.contentId = init.contentId;
    this.escrowId = init.escrowId;
    this.mode = init.mode;
    this.maxBytes = init.maxBytes;
    this.pricePerMiB = init.pricePerMiB;
    this.priceCapPerMiB = init.priceCapPerMiB;
    this.delegation = init.delegation;
    this.#voucherBytes = init.voucherBytes ?? 0n;
    this.voucherAmount = init.voucherAmount ?? 0n;
    this.#receiptBytes = init.receiptBytes ?? 0n;
    this.served = this.#receiptBytes;
    this.servedBound = this.served;
  }

  /** Bytes covered by the latest stored voucher. */
  get voucherBytes(): bigint {
    return this.#voucherBytes;
  }

  set voucherBytes(bytes: bigint) {
    this.#voucherBytes = bytes;
    this.#allowance = null;
  }

  /** Bytes attested by the latest stored receipt. */
  get receiptBytes(): bigint {
    return this.#receiptBytes;
  }

  set receiptBytes(bytes: bigint) {
    this.#receiptBytes = bytes;
    this.#allowance = null;
  }

  /** Whether vouchers are due (paid content with an escrow). */
  get paid(): boolean {
    return this.escrowId !== null && this.pricePerMiB > 0n;
  }

  /** The bytes a voucher must cover once `served` bytes are out. */
  voucherDue(served: bigint = this.served): bigint {
    return this.mode === "upfront" ? this.maxBytes : served;
  }

  /** The price of `bytes` at the seeder's price, as the escrow computes it (rounded down). */
  priceOf(bytes: bigint): bigint {
    return amountFor(bytes, this.pricePerMiB);
  }

  /** The checkpoint of the next payment: at it the seeder asks, and `sendLimit` says how far it goes meanwhile. */
  allowance(): bigint {
    this.#allowance ??= this.#computeAllowance();
    return this.#allowance;
  }

  /**
   * How many bytes (cumulative) may be sent before a stored payment covers `allowance()`: the checkpoint plus `grace`
   * (`PAYMENT_GRACE` for a leecher paying by vouchers in exponential mode, else 0), never past `maxBytes`.
   */
  sendLimit(grace: bigint): bigint {
    const allowance = this.allowance();
    const limit = grace === 0n || allowance === 0n || allowance >= this.maxBytes ? allowance : min(allowance + grace, this.maxBytes);
    // A stored voucher opens the next interval only once the seeder secured it; meanwhile δ past the voucher.
    return this.securing === null ? limit : min(limit, min(this.securing + grace, this.maxBytes));
  }

  /** Whether the wire stopped at `sendLimit` waits for the seeder's own reservation, not for a payment. */
  awaitsSecurity(grace: bigint): boolean {
    return this.securing !== null && this.served >= min(this.securing + grace, this.maxBytes);
  }

  /** Stops serving the account on every wire, with `refusal` (the escrow no longer secures its next interval). */
  refuse(refusal: { reason: RefusalReason; message: string }): void {
    this.refusal ??= refusal;
    this.notify();
  }

  #computeAllowance(): bigint {
    const byReceipt = nextCheckpoint(CheckpointMode.Exponential, this.receiptBytes, this.maxBytes);
    if (!this.paid) return byReceipt;
    const byVoucher =
      this.mode === "upfront"
        ? this.voucherBytes >= this.maxBytes
          ? this.maxBytes
          : 0n
        : nextCheckpoint(CheckpointMode.Exponential, this.voucherBytes, this.maxBytes);
    return byVoucher < byReceipt ? byVoucher : byReceipt;
  }

  /** What is missing at the current `served`, as the voucher request to send; null when fully paid. */
  paymentRequest(): VoucherRequestMessage | null {
    const receiptMissing = this.served > this.receiptBytes;
    const voucherBytes = this.paid ? this.voucherDue() : null;
    const voucherMissing = voucherBytes !== null && voucherBytes > this.voucherBytes;
    if (!receiptMissing && !voucherMissing) return null;
    return {
      type: "voucher_request",
      cumulativeBytes: this.served,
      voucherBytes,
      voucherAmount: voucherBytes === null ? null : this.priceOf(voucherBytes),
    };
  }

  /** Ends the account (its escrow is closing): every wire serving it refuses its peer. */
  close(): void {
    this.closed = true;
    this.notify();
  }

  /** Called whenever a payment is stored, so that every wire of the account re-checks its gate. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
