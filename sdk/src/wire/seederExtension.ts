/**
 * The seeder's side of `w3t_pay`: a BEP 10 extension for `wire.use(seederExtension(...))` that lets a wire
 * receive pieces only while its account has paid up to the checkpoint schedule.
 *
 * WebTorrent unchokes every interested peer by itself (and re-unchokes in its rechoke loop), so the extension
 * gates the send path of the wire it is installed on:
 * - `wire.unchoke` does nothing until the peer's hello passed the seeder's checks and while a payment is due;
 * - `wire.piece` sends a block only while the account's served bytes are below its allowance;
 * - when the served bytes reach the allowance (a checkpoint), the seeder sends a `voucher_request`; a leecher paying
 *   by vouchers (exponential mode) goes on being served meanwhile, up to `PAYMENT_GRACE` (δ) past the checkpoint, so
 *   the voucher's round trip overlaps the transfer and a voucher back in time costs the wire nothing. At the send
 *   limit (the checkpoint plus δ; the checkpoint itself for releases, upfront mode and free content) the seeder stops
 *   sending and holds the blocks the peer goes on requesting (a bounded number; more are rejected, BEP 6) until a
 *   valid voucher and receipt covering the checkpoint are stored durably by the backend, then sends them — the
 *   peer's request pipeline stays full, so a late voucher costs the rest of its round trip and no ramp-up. A voucher
 *   for fewer bytes than the checkpoint (all a leecher may sign for before the checkpoint's bytes reached it) moves
 *   nothing. The acknowledgement waits for the store only: what the seeder does on-chain for the next interval
 *   (`SeederBackend.secure`) runs after it, and holds the account's wires at δ past the voucher until it is done. No payment within the timer, or any invalid message, refuses
 *   the peer for good: it is choked (which rejects its queued requests) and its held blocks are dropped.
 * A peer that does not speak `w3t_pay` (a plain WebTorrent client) is never unchoked and never sent a block.
 *
 * A leecher paying by transactions (hello `payment: "transactions"`) answers a checkpoint with `released` once its
 * wallet's `release` is mined: the backend checks the chain (`storeRelease`) and stores it like a voucher. Its
 * timer is `releaseTimeoutMs`, not `voucherTimeoutMs`: a silent voucher comes back in milliseconds, so a short timer
 * frees the seeder from a peer that stopped paying, while a release waits for a person to read a wallet prompt and
 * for the transaction to be mined (seconds to minutes). The seeder serves nothing meanwhile, so the longer wait
 * costs it an idle connection, not unpaid bytes.
 *
 * Who speaks (./proofs.ts): the terms carry a fresh nonce of this wire; the hello must carry the session key's
 * signature of it, bound to this wire (infohash, both peer ids), or the peer is refused (`bad_signature`) before any
 * on-chain check — a hello copied from another wire admits nobody, and an account is served only to wires that
 * proved its key. Once admitted, and before any block, the seeder sends `identity`: its payout key's (or a delegated
 * key's) signature of the hello's nonce, without which the leecher books nothing to the seeder's address.
 *
 * Install it on a wire before WebTorrent processes the peer's messages: in the torrent's `wire` event.
 */
import { CheckpointMode, amountFor, isCheckpoint } from "../checkpointSchedule.ts";
import { recoverCloseSigner, recoverReceiptSigner, recoverVoucherSigner } from "../sessionKey.ts";
import { PAYMENT_GRACE, type ServiceAccount } from "./accounting.ts";
import { coalesceWrites } from "./coalescedWrites.ts";
import { guardWire } from "./messageLimits.ts";
import {
  RefusalReason,
  W3T_PAY,
  type CloseMessage,
  WireMessageError,
  decodeMessage,
  encodeMessage,
  type HelloMessage,
  type PaymentStrategy,
  type ReceiptMessage,
  type ReleasedMessage,
  type TermsMessage,
  type VoucherMessage,
  type VoucherRequestMessage,
  type W3tPayMessage,
} from "./messages.ts";
import { newNonce, recoverAdmissionSigner, signIdentity, type LocalPeer, type SeederIdentity, type WireBinding } from "./proofs.ts";
import type { ExtendedHandshake, ExtensionConstructor, PayWire } from "./wire.ts";

/** The terms a seeder announces; each wire adds its own fresh nonce. */
export type SeederTerms = Omit<TermsMessage, "type" | "nonce">;

export interface Refusal {
  reason: RefusalReason;
  message: string;
}

export type Admission = { account: ServiceAccount } | { refusal: Refusal };

/**
 * What the extension needs from its host (the headless seeder, or the browser app): on-chain checks and durable
 * storage. Each method may throw; the extension then refuses the peer as `unavailable`.
 */
export interface SeederBackend {
  /**
   * Checks a hello on-chain: the account holds a license, the delegation is valid, and (paid content) the escrow
   * is open, the account's, for this content, with this session key, a price cap at least the seeder's price and
   * deposit left. Returns the account's shared state (the same object for every wire of the same escrow).
   */
  admit(hello: HelloMessage, terms: SeederTerms): Promise<Admission>;
  /**
   * Stores a voucher durably; resolves only once it is stored. It may answer a refusal (the voucher stays stored):
   * both seeders refuse here, before the next interval, when the escrow no longer covers the voucher held plus the
   * next interval (./solvency.ts). `checkVoucher` is for checks that may run beside the transfer.
   */
  storeVoucher(account: ServiceAccount, voucher: VoucherMessage): Promise<Refusal | null | void>;
  /**
   * Checks, once a voucher is stored and the gate reopened, that the escrow can still pay it (on-chain, so it runs
   * beside the transfer); a refusal then stops the peer within the interval just opened.
   */
  checkVoucher?(account: ServiceAccount, voucher: VoucherMessage): Promise<Refusal | null>;
  /**
   * Secures the interval after a stored voucher (`storeVoucher` then only stores): called once the voucher is
   * acknowledged, beside the transfer. Until it resolves no wire of the account goes more than δ past the voucher;
   * null opens the interval, a refusal stops every wire of the account. A host that finds out later that the interval
   * is not secured after all calls `account.refuse`.
   */
  secure?(account: ServiceAccount, voucher: VoucherMessage): Promise<Refusal | null>;
  /** Stores a receipt durably; resolves only once it is stored. */
  storeReceipt(account: ServiceAccount, receipt: ReceiptMessage): Promise<void>;
  /**
   * Records durably, before it returns, that up to `bytes` (cumulative) may have been sent on the account; called
   * before a block would go past `account.servedBound`, with a bound `SERVED_RECORD_STEP` ahead. A seeder restored
   * from its store takes this bound as the bytes served, so a restart in the middle of an interval grants no second
   * interval on credit. Without it, a restart forgets what was sent since the last stored payment.
   */
  recordServed?(account: ServiceAccount, bytes: bigint): void;
  /**
   * Checks on-chain that the release happened — `redeemedBy(escrowId, seeder)` covers the seeder's price for its
   * bytes (`verifyRelease` in ./admission.ts) — and stores it durably like an acknowledged voucher; resolves with
   * the seeder's redeemed total on-chain, or a refusal. Without it, releases are refused (announce
   * `acceptsReleases: false`).
   */
  storeRelease?(account: ServiceAccount, release: ReleasedMessage): Promise<{ redeemed: bigint } | { refusal: Refusal }>;
  /**
   * Stores the session key's signed `Close(escrowId)` (checked by the extension) to submit with the seeder's last
   * voucher and waiver (`settleClose`). Without it the close is dropped: the leecher then closes by transaction.
   */
  storeClose?(account: ServiceAccount, close: CloseMessage): Promise<void>;
}

/** Optional notifications, for logs, statistics and tests. */
export interface SeederObserver {
  admitted?(wire: PayWire, account: ServiceAccount): void;
  refused?(wire: PayWire, refusal: Refusal, account: ServiceAccount | null): void;
  checkpoint?(wire: PayWire, account: ServiceAccount, request: VoucherRequestMessage): void;
  voucher?(wire: PayWire, account: ServiceAccount, voucher: VoucherMessage): void;
  /** An on-chain release was verified and stored. */
  released?(wire: PayWire, account: ServiceAccount, release: ReleasedMessage): void;
  receipt?(wire: PayWire, account: ServiceAccount, receipt: ReceiptMessage): void;
  /** The leecher ended its download with its session key's signed Close. */
  closed?(wire: PayWire, account: ServiceAccount, close: CloseMessage): void;
  /** The leecher refused our terms (or gave up). */
  peerRefusal?(wire: PayWire, refusal: Refusal): void;
  /** The backend failed (the peer is refused as `unavailable`). */
  error?(wire: PayWire, error: unknown): void;
}

export interface SeederExtensionOptions {
  terms: SeederTerms;
  backend: SeederBackend;
  observer?: SeederObserver;
  /** Proves the terms' `seeder` address to each leecher (./proofs.ts). */
  identity: SeederIdentity;
  /** The torrent and this client's peer id, to which the wire's proofs are bound. */
  localPeer: LocalPeer;
}

/** How long a seeder waits for a silent voucher at a checkpoint, by default: the session key signs in milliseconds. */
export const DEFAULT_VOUCHER_TIMEOUT_MS = 30_000;
/**
 * How long a seeder waits at a checkpoint for a leecher paying by transactions, by default: a person reads a wallet
 * prompt and the release is mined, which takes minutes. Nothing is served while waiting, so the wait risks no bytes.
 */
export const DEFAULT_RELEASE_TIMEOUT_MS = 5 * 60_000;

/**
 * Blocks held at a checkpoint, at most (4 MiB of 16 KiB blocks); the peer's further requests are rejected. The
 * seeder announces it as its BEP 10 `reqq` (the most requests a peer may have outstanding), which WebTorrent honours:
 * an honest leecher's requests all fit, none is rejected at a checkpoint and read again from disk, and its pipeline
 * (by default a second of its download speed, over 1,000 blocks at 17 MiB/s) stays short enough to drain smoothly.
 */
export const MAX_HELD_BLOCKS = 256;

/**
 * How far ahead of the bytes sent a seeder records its served bound (`SeederBackend.recordServed`): one write per MiB
 * sent (the headless seeder commits it without an fsync, see its store), and after a restart the seeder may count up
 * to this much more than it sent.
 */
export const SERVED_RECORD_STEP = 1n << 20n;

type State =
  | "handshake" // waiting for the peer's extended handshake
  | "awaiting_hello" // terms sent
  | "checking" // hello under on-chain checks
  | "serving"
  | "awaiting_payment" // at the send limit, blocks held
  | "securing" // δ past a paid checkpoint whose next interval the seeder has not secured yet, blocks held
  | "complete" // everything served and paid
  | "refused";

export function seederExtension(options: SeederExtensionOptions): ExtensionConstructor {
  const { terms, backend, observer, identity, localPeer } = options;

  class W3tPaySeeder {
    readonly #wire: PayWire;
    readonly #unchoke: () => void;
    readonly #piece: (index: number, offset: number, buffer: Uint8Array) => void;
    #state: State = "handshake";
    #account: ServiceAccount | null = null;
    /** How the peer said it pays (its hello): sets the timer at a checkpoint. */
    #payment: PaymentStrategy = "vouchers";
    #unsubscribe: (() => void) | null = null;
    #timer: ReturnType<typeof setTimeout> | null = null;
    /** Messages are handled one at a time, in order, even when their checks are asynchronous. */
    #queue: Promise<void> = Promise.resolve();
    /** Blocks requested while a payment is due, sent once it is stored. */
    #held: { index: number; offset: number; buffer: Uint8Array }[] = [];
    /** How far past a checkpoint this wire is served while its payment comes back (`PAYMENT_GRACE` or 0). */
    #grace = 0n;
    /** The checkpoint this wire last asked a payment for: asked once, whether early or at the limit. */
    #asked: bigint | null = null;
    /** Bytes sent on this wire (the account may be served by several wires). */
    servedOnWire = 0n;
    /** This wire's challenge in the terms: the hello's proof must sign it. */
    readonly #nonce = newNonce();

    constructor(wire: PayWire) {
      this.#wire = wire;
      guardWire(wire);
      coalesceWrites(wire);
      this.#unchoke = wire.unchoke.bind(wire);
      this.#piece = wire.piece.bind(wire);
      wire.unchoke = () => {
        if (this.#state === "serving") this.#unchoke();
      };
      wire.piece = (index, offset, buffer) => this.#sendPiece(index, offset, buffer);
      wire.extendedHandshake.reqq = MAX_HELD_BLOCKS;
      wire.once("close", () => this.#close());
    }

    get state(): State {
      return this.#state;
    }

    get account(): ServiceAccount | null {
      return this.#account;
    }

    onExtendedHandshake(handshake: ExtendedHandshake): void {
      if (this.#state !== "handshake" || !handshake.m || !(W3T_PAY in handshake.m)) return;
      this.#state = "awaiting_hello";
      this.#send({ type: "terms", ...terms, nonce: this.#nonce });
    }

    onMessage(payload: Uint8Array): void {
      let message: W3tPayMessage;
      try {
        message = decodeMessage(payload);
      } catch (error) {
        this.#refuseError(error);
        return;
      }
      this.#queue = this.#queue.then(() => this.#handle(message)).catch((error) => this.#refuseError(error));
    }

    async #handle(message: W3tPayMessage): Promise<void> {
      if (this.#state === "refused") return;
      switch (message.type) {
        case "hello":
          return this.#onHello(message);
        case "voucher":
          return this.#onVoucher(message);
        case "released":
          return this.#onReleased(message);
        case "receipt":
          return this.#onReceipt(message);
        case "close":
          return this.#onClose(message);
        case "refusal":
          observer?.peerRefusal?.(this.#wire, message);
          this.#end();
          return;
        case "terms":
          // Another seeder: neither side buys, nothing to refuse.
          this.#end();
          return;
        default:
          this.#refuse(RefusalReason.OutOfOrder, `a leecher does not send ${message.type}`);
      }
    }

    async #onHello(hello: HelloMessage): Promise<void> {
      if (this.#state !== "awaiting_hello") {
        this.#refuse(RefusalReason.OutOfOrder, "hello before terms or twice");
        return;
      }
      this.#state = "checking";
      this.#payment = hello.payment;
      const wire: WireBinding = { infoHash: localPeer.infoHash, seederPeerId: localPeer.peerId, leecherPeerId: this.#wire.peerId ?? "" };
      // A hello copied from another wire (or whose key the sender does not hold) admits nobody.
      if ((await recoverAdmissionSigner(terms.chainId, wire, this.#nonce, hello.proof)) !== hello.sessionKey) {
        this.#refuse(RefusalReason.BadSignature, "the hello is not signed by its session key for this wire");
        return;
      }
      const [admission, proof] = await Promise.all([
        backend.admit(hello, terms),
        signIdentity(identity, terms.chainId, wire, hello.nonce, terms.seeder),
      ]);
      if (this.#state !== "checking") return; // closed meanwhile
      if ("refusal" in admission) {
        this.#refuse(admission.refusal.reason, admission.refusal.message);
        return;
      }
      // Before any block: the leecher books nothing to this address without it.
      this.#send({ type: "identity", ...proof });
      const account = admission.account;
      this.#account = account;
      this.#unsubscribe = account.subscribe(() => this.#recheck());
      observer?.admitted?.(this.#wire, account);
      // Releases wait for a person and a mined transaction, δ would not cover them; upfront and free content have none.
      this.#grace = account.paid && account.mode === "exponential" && hello.payment === "vouchers" ? PAYMENT_GRACE : 0n;
      this.#state = "serving";
      if (account.served >= account.sendLimit(this.#grace)) this.#checkpoint();
      else {
        this.#unchoke();
        this.#askIfDue(account);
      }
    }

    async #onVoucher(voucher: VoucherMessage): Promise<void> {
      const account = this.#paying("voucher");
      if (!account) return;
      if (!account.paid) {
        this.#refuse(RefusalReason.OutOfOrder, "this content is served free: no voucher");
        return;
      }
      if (voucher.escrowId !== account.escrowId || voucher.seeder !== terms.seeder) {
        this.#refuse(RefusalReason.BadSignature, "voucher for another escrow or seeder");
        return;
      }
      if (voucher.cumulativeBytes === account.voucherBytes && !this.#paymentDue(account)) {
        this.#ack(account); // a copy that crossed our ack: harmless while nothing is due
        return;
      }
      if (voucher.cumulativeBytes <= account.voucherBytes) {
        this.#refuse(RefusalReason.Replayed, `voucher for ${voucher.cumulativeBytes} bytes; ${account.voucherBytes} already paid`);
        return;
      }
      if (voucher.cumulativeBytes > account.maxBytes) {
        this.#refuse(RefusalReason.BadAmount, "voucher over the escrow's maxBytes");
        return;
      }
      const owed = account.priceOf(voucher.cumulativeBytes);
      const cap = amountFor(voucher.cumulativeBytes, account.priceCapPerMiB);
      if (voucher.cumulativeAmount < owed || voucher.cumulativeAmount > cap) {
        this.#refuse(RefusalReason.BadAmount, `voucher amount ${voucher.cumulativeAmount}, due ${owed}`);
        return;
      }
      const signer = await recoverVoucherSigner(
        { chainId: terms.chainId, escrow: terms.escrow },
        {
          escrowId: voucher.escrowId,
          seeder: voucher.seeder,
          cumulativeBytes: voucher.cumulativeBytes,
          cumulativeAmount: voucher.cumulativeAmount,
        },
        voucher.signature,
      );
      if (signer !== account.voucherKey) {
        this.#refuse(RefusalReason.BadSignature, "voucher not signed by the escrow's session key");
        return;
      }
      // Another wire of the account may have stored a newer one while the signature was checked.
      if (voucher.cumulativeBytes <= account.voucherBytes) return;
      // The peer paid in time: storing the voucher (and securing the next interval, ./solvency.ts) is the seeder's
      // own wait, not the peer's.
      this.#clearTimer();
      const refusal = await backend.storeVoucher(account, voucher);
      if (voucher.cumulativeBytes > account.voucherBytes) {
        account.voucherBytes = voucher.cumulativeBytes;
        account.voucherAmount = voucher.cumulativeAmount;
      }
      observer?.voucher?.(this.#wire, account, voucher);
      this.#ack(account);
      if (refusal) {
        this.#refuse(refusal.reason, refusal.message);
        return;
      }
      if (backend.secure && voucher.cumulativeBytes < account.maxBytes) this.#secure(account, voucher, backend.secure.bind(backend));
      account.notify();
      backend.checkVoucher?.(account, voucher).then(
        (refusal) => refusal && this.#refuse(refusal.reason, refusal.message),
        (error) => this.#refuseError(error),
      );
    }

    /** The chain work after an acknowledged voucher: the interval it opens is served only δ deep until it is done. */
    #secure(account: ServiceAccount, voucher: VoucherMessage, secure: NonNullable<SeederBackend["secure"]>): void {
      account.securing = voucher.cumulativeBytes;
      secure(account, voucher).then(
        (refusal) => {
          if (refusal) account.refuse(refusal);
          else if (account.securing === voucher.cumulativeBytes) {
            account.securing = null;
            account.notify();
          }
        },
        (error) => {
          observer?.error?.(this.#wire, error);
          account.refuse({ reason: RefusalReason.Unavailable, message: "the seeder could not secure the next interval" });
        },
      );
    }

    async #onReleased(release: ReleasedMessage): Promise<void> {
      const account = this.#paying("release");
      if (!account) return;
      if (!account.paid) {
        this.#refuse(RefusalReason.OutOfOrder, "this content is served free: nothing to release");
        return;
      }
      if (!terms.acceptsReleases || !backend.storeRelease) {
        this.#refuse(RefusalReason.Terms, "this seeder does not accept on-chain releases");
        return;
      }
      if (release.escrowId !== account.escrowId || release.seeder !== terms.seeder) {
        this.#refuse(RefusalReason.NoRelease, "release from another escrow or to another seeder");
        return;
      }
      if (release.cumulativeBytes === account.voucherBytes && !this.#paymentDue(account)) {
        this.#ack(account);
        return;
      }
      if (release.cumulativeBytes <= account.voucherBytes) {
        this.#refuse(RefusalReason.Replayed, `release of ${release.cumulativeBytes} bytes; ${account.voucherBytes} already paid`);
        return;
      }
      const mode = account.mode === "upfront" ? CheckpointMode.Upfront : CheckpointMode.Exponential;
      if (!isCheckpoint(mode, release.cumulativeBytes, account.maxBytes)) {
        this.#refuse(RefusalReason.BadAmount, `${release.cumulativeBytes} bytes is not a checkpoint of the escrow`);
        return;
      }
      const verified = await backend.storeRelease(account, release);
      if ("refusal" in verified) {
        this.#refuse(verified.refusal.reason, verified.refusal.message);
        return;
      }
      if (release.cumulativeBytes > account.voucherBytes) {
        account.voucherBytes = release.cumulativeBytes;
        account.voucherAmount = verified.redeemed;
      }
      observer?.released?.(this.#wire, account, release);
      this.#ack(account);
      account.notify();
    }

    async #onReceipt(receipt: ReceiptMessage): Promise<void> {
      const account = this.#paying("receipt");
      if (!account) return;
      if (receipt.leecher !== account.leecher || receipt.seeder !== terms.seeder || receipt.contentId !== account.contentId) {
        this.#refuse(RefusalReason.BadSignature, "receipt for another leecher, seeder or content");
        return;
      }
      if (receipt.cumulativeBytes === account.receiptBytes && !this.#paymentDue(account)) {
        this.#ack(account);
        return;
      }
      if (receipt.cumulativeBytes <= account.receiptBytes) {
        this.#refuse(RefusalReason.Replayed, `receipt for ${receipt.cumulativeBytes} bytes; ${account.receiptBytes} already attested`);
        return;
      }
      if (receipt.cumulativeBytes > account.maxBytes) {
        this.#refuse(RefusalReason.BadAmount, "receipt over the download's size");
        return;
      }
      const signer = await recoverReceiptSigner(
        { chainId: terms.chainId, rebatePool: terms.rebatePool },
        { leecher: receipt.leecher, seeder: receipt.seeder, contentId: receipt.contentId, cumulativeBytes: receipt.cumulativeBytes },
        receipt.signature,
      );
      if (signer !== account.sessionKey) {
        this.#refuse(RefusalReason.BadSignature, "receipt not signed by the delegated session key");
        return;
      }
      if (receipt.cumulativeBytes <= account.receiptBytes) return;
      await backend.storeReceipt(account, receipt);
      if (receipt.cumulativeBytes > account.receiptBytes) account.receiptBytes = receipt.cumulativeBytes;
      observer?.receipt?.(this.#wire, account, receipt);
      this.#ack(account);
      account.notify();
    }

    /** The leecher is done: its signed Close is stored for the settlement, and this wire ends without a refusal. */
    async #onClose(close: CloseMessage): Promise<void> {
      const account = this.#paying("close");
      if (!account) return;
      if (account.escrowId === null || close.escrowId !== account.escrowId) {
        this.#refuse(RefusalReason.BadSignature, "close of another escrow");
        return;
      }
      const signer = await recoverCloseSigner({ chainId: terms.chainId, escrow: terms.escrow }, close.escrowId, close.signature);
      if (signer !== account.voucherKey) {
        this.#refuse(RefusalReason.BadSignature, "close not signed by the escrow's session key");
        return;
      }
      await backend.storeClose?.(account, close);
      observer?.closed?.(this.#wire, account, close);
      account.leecherClosed = true;
      account.close();
    }

    /** The account a voucher or receipt pays for; refuses the peer when none may be paid now. */
    #paying(what: string): ServiceAccount | null {
      const account = this.#account;
      if (!account || !["serving", "awaiting_payment", "securing", "complete"].includes(this.#state)) {
        this.#refuse(RefusalReason.OutOfOrder, `${what} before the hello was accepted`);
        return null;
      }
      return account;
    }

    #sendPiece(index: number, offset: number, buffer: Uint8Array): void {
      const account = this.#account;
      if (
        this.#state === "awaiting_payment" ||
        this.#state === "securing" ||
        (this.#state === "serving" && account!.served >= account!.sendLimit(this.#grace))
      ) {
        if (this.#held.length < MAX_HELD_BLOCKS) this.#held.push({ index, offset, buffer });
        else this.#reject(index, offset, buffer.length);
        if (this.#state === "serving") this.#checkpoint();
        return;
      }
      if (this.#state !== "serving" || !account) {
        this.#reject(index, offset, buffer.length);
        return;
      }
      // A block that starts below the send limit may end past it (blocks need not align with checkpoints when a
      // short final block went out early): the exposure is one interval plus δ plus one block (WebTorrent caps
      // blocks at 128 KiB), and the next voucher covers it.
      const length = BigInt(buffer.length);
      const sent = account.served + length;
      if (backend.recordServed && sent > account.servedBound) {
        // Durable before the block leaves: a restart must not forget it (sync, so no other block overtakes it).
        const ahead = sent + SERVED_RECORD_STEP;
        const allowed = account.sendLimit(this.#grace);
        const limit = allowed > sent ? allowed : sent;
        const bound = ahead < limit ? ahead : limit;
        try {
          backend.recordServed(account, bound);
        } catch (error) {
          this.#reject(index, offset, buffer.length);
          this.#refuseError(error);
          return;
        }
        account.servedBound = bound;
      }
      account.served = sent;
      this.servedOnWire += length;
      this.#piece(index, offset, buffer);
      if (account.served >= account.sendLimit(this.#grace)) this.#checkpoint();
      else this.#askIfDue(account);
    }

    /**
     * Whether this wire asked for a payment that has not come: a copy of the stored one is then a replay, not a copy
     * that crossed our ack, whether the wire is stopped or still within δ.
     */
    #paymentDue(account: ServiceAccount): boolean {
      if (this.#state === "awaiting_payment") return true;
      const checkpoint = account.allowance();
      return this.#asked === checkpoint && account.served >= checkpoint;
    }

    /** Past the checkpoint but within δ: asks for its payment once, and goes on sending while it comes back. */
    #askIfDue(account: ServiceAccount): void {
      const checkpoint = account.allowance();
      if (account.served < checkpoint || this.#asked === checkpoint) return;
      const request = account.paymentRequest();
      if (!request) return;
      this.#asked = checkpoint;
      this.#send(request);
      observer?.checkpoint?.(this.#wire, account, request);
    }

    #reject(index: number, offset: number, length: number): void {
      if (this.#wire.hasFast && !this.#wire.destroyed) this.#wire.reject(index, offset, length);
    }

    /**
     * At the send limit: stop sending and wait for what is missing (or finish when nothing is). The request goes out
     * unless this checkpoint's went out already, early: its answer is on its way, or came short and the timer ends it.
     */
    #checkpoint(): void {
      const account = this.#account!;
      // Paid, and waiting for the seeder's own reservation: no request, and no timer for the peer.
      if (account.awaitsSecurity(this.#grace)) {
        this.#state = "securing";
        return;
      }
      const request = account.paymentRequest();
      if (!request) {
        this.#state = "complete";
        this.#clearTimer();
        this.#dropHeld();
        return;
      }
      this.#state = "awaiting_payment";
      const checkpoint = account.allowance();
      if (this.#asked !== checkpoint) {
        this.#asked = checkpoint;
        this.#send(request);
        observer?.checkpoint?.(this.#wire, account, request);
      }
      if (!this.#timer) {
        const byTransaction = this.#payment === "transactions";
        const timeoutMs = byTransaction ? terms.releaseTimeoutMs : terms.voucherTimeoutMs;
        this.#timer = setTimeout(() => {
          this.#timer = null;
          if (this.#state === "awaiting_payment") {
            this.#refuse(RefusalReason.Timeout, `no ${byTransaction ? "release" : "voucher"} within ${timeoutMs} ms`);
          }
        }, timeoutMs);
      }
    }

    /** Sends the held blocks through the gate again (some may be held anew at the next checkpoint). */
    #releaseHeld(): void {
      const held = this.#held;
      this.#held = [];
      for (const block of held) this.#sendPiece(block.index, block.offset, block.buffer);
    }

    #dropHeld(): void {
      for (const block of this.#held) this.#reject(block.index, block.offset, block.buffer.length);
      this.#held = [];
    }

    /** A payment was stored (on any wire of the account): reopen the gate if the allowance moved past `served`. */
    #recheck(): void {
      const account = this.#account;
      if (!account) return;
      if (account.refusal) {
        if (this.#state === "complete") this.#end();
        else this.#refuse(account.refusal.reason, account.refusal.message);
        return;
      }
      if (account.closed) {
        // A leecher that closed, or that has everything it paid for, is told nothing: a refusal would read as a
        // failure to a download that completed and paid.
        if (account.leecherClosed || this.#state === "complete") this.#end();
        else this.#refuse(RefusalReason.NoEscrow, "the escrow is closing: nothing more is served on it");
        return;
      }
      if (this.#state === "awaiting_payment" || this.#state === "securing" || this.#state === "complete") {
        if (account.served < account.sendLimit(this.#grace)) {
          this.#clearTimer();
          this.#state = "serving";
          this.#unchoke();
          this.#releaseHeld();
        } else if (account.awaitsSecurity(this.#grace)) {
          // Paid: what is left is the seeder's own wait, so no timer runs against the peer.
          this.#clearTimer();
          this.#state = "securing";
        } else if (!account.paymentRequest()) {
          this.#clearTimer();
          this.#state = "complete";
          this.#dropHeld();
        } else if (this.#state === "securing") {
          this.#checkpoint();
        }
      }
    }

    #ack(account: ServiceAccount): void {
      this.#send({ type: "ack", voucherBytes: account.voucherBytes, receiptBytes: account.receiptBytes });
    }

    #refuseError(error: unknown): void {
      if (error instanceof WireMessageError) {
        this.#refuse(error.reason, error.message);
        return;
      }
      observer?.error?.(this.#wire, error);
      this.#refuse(RefusalReason.Unavailable, "the seeder could not check this message");
    }

    #refuse(reason: RefusalReason, message: string): void {
      if (this.#state === "refused") return;
      this.#end();
      this.#state = "refused";
      const refusal = { reason, message: message.slice(0, 300) };
      try {
        this.#send({ type: "refusal", ...refusal });
      } catch {
        // The wire may be gone: the peer stays refused regardless.
      }
      observer?.refused?.(this.#wire, refusal, this.#account);
    }

    /** Stops serving this wire for good. */
    #end(): void {
      this.#clearTimer();
      this.#dropHeld();
      this.#unsubscribe?.();
      this.#unsubscribe = null;
      if (this.#state !== "refused") this.#state = "refused";
      if (!this.#wire.destroyed) this.#wire.choke();
    }

    #close(): void {
      this.#clearTimer();
      this.#held = [];
      this.#unsubscribe?.();
      this.#unsubscribe = null;
      if (this.#state !== "refused") this.#state = "refused";
    }

    #clearTimer(): void {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
    }

    #send(message: W3tPayMessage): void {
      if (this.#wire.destroyed || !this.#wire.peerExtendedMapping[W3T_PAY]) return;
      this.#wire.extended(W3T_PAY, encodeMessage(message));
    }
  }
  Object.defineProperty(W3tPaySeeder.prototype, "name", { value: W3T_PAY });
  return W3tPaySeeder as unknown as ExtensionConstructor;
}
