/**
 * The leecher's side of `w3t_pay` for one download: which terms it accepts, and what its session key signs.
 *
 * The rule: a voucher is signed only for bytes actually received from that seeder (counted per wire, summed per
 * seeder address; WebTorrent hash-checks every piece), cumulative per seeder, priced at the seeder's announced price
 * — which must not exceed the escrow's cap. In upfront mode the one voucher for the whole download goes to the first
 * seeder that asks; others are told the deposit is taken. Receipts attest received bytes only, in every mode.
 *
 * One session serves every wire of the download; `settle()` sends each seeder a final voucher and receipt for the
 * bytes it served past its last checkpoint (when the download completes) and waits for the seeders' acks.
 */
import type { Address, Hex } from "viem";
import { FIRST_CHECKPOINT, amountFor } from "../checkpointSchedule.ts";
import type { SessionKey, SignedDelegation, SigningContext } from "../sessionKey.ts";
import {
  RefusalReason,
  type HelloMessage,
  type PaymentModeName,
  type ReceiptMessage,
  type RefusalMessage,
  type TermsMessage,
  type VoucherMessage,
  type VoucherRequestMessage,
  type W3tPayMessage,
} from "./messages.ts";

export interface LeecherSessionOptions {
  chainId: number;
  contracts: { market: Address; escrow: Address; rebatePool: Address };
  contentId: bigint;
  /** The license holder paying (its wallet opened the escrow and signed the delegation). */
  account: Address;
  /** The escrow paying the download; null when downloading free content. */
  escrowId: bigint | null;
  mode: PaymentModeName;
  /** The escrow's maxBytes (the content size when free). */
  maxBytes: bigint;
  /** The escrow's price cap; a seeder asking more is refused. */
  pricePerMiBCap: bigint;
  sessionKey: SessionKey;
  delegation: SignedDelegation;
}

/** What the session knows about one seeder (one payee address), over all its wires. */
export interface SeederLedger {
  seeder: Address;
  pricePerMiB: bigint;
  /** Bytes received in pieces from this seeder. */
  received: bigint;
  voucher: VoucherMessage | null;
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
}

export interface LeecherObserver {
  terms?(terms: TermsMessage): void;
  voucherSigned?(ledger: SeederLedger, voucher: VoucherMessage): void;
  receiptSigned?(ledger: SeederLedger, receipt: ReceiptMessage): void;
  ack?(ledger: SeederLedger): void;
  refused?(ledger: SeederLedger | null, refusal: RefusalMessage, bySeeder: boolean): void;
}

export class LeecherSession {
  readonly options: LeecherSessionOptions;
  readonly ledgers = new Map<Address, SeederLedger>();
  observer: LeecherObserver = {};
  /** Session-key signatures made (vouchers + receipts): the benchmark's "signatures per GiB". */
  signatures = 0;
  /** Upfront mode: the seeder the one voucher went to. */
  upfrontSeeder: Address | null = null;
  readonly #ackWaiters = new Set<() => void>();

  constructor(options: LeecherSessionOptions) {
    this.options = options;
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
    }
    return null;
  }

  hello(): HelloMessage {
    const o = this.options;
    return {
      type: "hello",
      account: o.account,
      escrowId: o.escrowId,
      sessionKey: o.sessionKey.address,
      delegation: { expiry: o.delegation.expiry, signature: o.delegation.signature },
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
        receipt: null,
        ackedVoucherBytes: 0n,
        ackedReceiptBytes: 0n,
        sentVoucherBytes: 0n,
        sentReceiptBytes: 0n,
        refusal: null,
        senders: new Set(),
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
    const messages: W3tPayMessage[] = [];
    if (request.voucherBytes !== null && this.paid && ledger.pricePerMiB > 0n) {
      const refusal = await this.#voucherUpTo(ledger, request.voucherBytes);
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
    const signature: Hex = await o.sessionKey.signVoucher(this.signingContext, voucher);
    this.signatures++;
    ledger.voucher = { type: "voucher", ...voucher, signature };
    this.observer.voucherSigned?.(ledger, ledger.voucher);
    return null;
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
    return (!voucherDue || ledger.ackedVoucherBytes >= ledger.received) && ledger.ackedReceiptBytes >= ledger.received;
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
        await this.#voucherUpTo(ledger, ledger.received);
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

  /** Bytes received from every seeder together. */
  get receivedTotal(): bigint {
    let total = 0n;
    for (const ledger of this.ledgers.values()) total += ledger.received;
    return total;
  }
}
