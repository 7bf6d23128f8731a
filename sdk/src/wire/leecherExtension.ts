/**
 * The leecher's side of `w3t_pay`: a BEP 10 extension for `wire.use(leecherExtension(session, local))`.
 *
 * It answers the seeder's terms with a hello (the session key's proof over the seeder's nonce on this wire), books
 * nothing to the seeder's address before the seeder's `identity` proves it (./proofs.ts), and answers each voucher
 * request with what `LeecherSession.answer` signs. It counts into the seeder's ledger only the blocks this wire
 * requested (`RequestedBlocks`): a block nobody asked for on this wire, or one received twice, is a protocol
 * violation and the peer is refused for the rest of the download (`unsolicited`); a block whose request was
 * cancelled, rejected or timed out is dropped unpaid. A paid download does not upload (`refuseUploads`): the wire
 * never unchokes the other side and sends no block (the content is the seeders' to sell, to licensed and paying
 * peers), so a plain client gets nothing from a leecher either, before or after the download completes. Seeding
 * what was downloaded goes through the seeder extension.
 */
import {
  RefusalReason,
  W3T_PAY,
  WireMessageError,
  decodeMessage,
  encodeMessage,
  type RefusalMessage,
  type TermsMessage,
  type W3tPayMessage,
} from "./messages.ts";
import { refusedForGood, type LeecherSession, type SeederLedger } from "./leecherSession.ts";
import { newNonce, verifyIdentity, type LocalPeer, type WireBinding } from "./proofs.ts";
import { coalesceWrites } from "./coalescedWrites.ts";
import { guardWire } from "./messageLimits.ts";
import type { ExtendedHandshake, ExtensionConstructor, PayWire } from "./wire.ts";

type State = "awaiting_terms" | "awaiting_identity" | "paying" | "refused";

/**
 * Makes a wire of a downloading torrent upload nothing: WebTorrent unchokes interested peers by itself (and again in
 * its rechoke loop, and once the torrent is complete it seeds), so the wire's `unchoke` does nothing and a requested
 * block is rejected (BEP 6) instead of sent. Installed on every wire of a paid download by `leecherExtension`.
 */
export function refuseUploads(wire: PayWire): void {
  wire.unchoke = () => {};
  wire.piece = (index, offset, buffer) => {
    if (wire.hasFast) wire.reject(index, offset, buffer.length);
  };
  if (!wire.amChoking && !wire.destroyed) wire.choke();
}

/** The part of a WebTorrent torrent that reports its pieces' hash checks. */
export interface PieceChecks {
  on(event: "verified", listener: (index: number) => void): unknown;
  on(event: "warning", listener: (warning: Error | string) => void): unknown;
}

/** WebTorrent reports a piece that failed its hash check only as a warning with this text. */
const FAILED_PIECE = /^Piece (\d+) failed verification/;

/** Tells the session the outcome of each hash check of the torrent, so that it stops paying a seeder of bad data. */
export function followPieceChecks(torrent: PieceChecks, session: LeecherSession): void {
  torrent.on("verified", (index) => session.pieceVerified(index));
  torrent.on("warning", (warning) => {
    const failed = FAILED_PIECE.exec(typeof warning === "string" ? warning : warning.message);
    if (failed) session.pieceFailed(Number(failed[1]));
  });
}

/** The blocks a wire asked for and has not received: what its peer may send, each once. */
export class RequestedBlocks {
  readonly #pending = new Map<string, number>();
  /** Requests withdrawn (cancelled, rejected, timed out): a late block for one is not a violation, nor paid. */
  readonly #withdrawn = new Map<string, number>();

  /** Wraps `wire.request` so that every request this side sends is recorded. */
  constructor(wire: PayWire) {
    const request = wire.request.bind(wire);
    wire.request = (index, offset, length, callback) => {
      const key = blockKey(index, offset, length);
      increment(this.#pending, key);
      request(index, offset, length, (error, block) => {
        // On success the `piece` event, which follows, consumes the request.
        if (error && decrement(this.#pending, key)) increment(this.#withdrawn, key);
        callback?.(error, block);
      });
    };
  }

  /** A block arrived: "paid" if requested, "late" if its request was withdrawn, "unsolicited" otherwise. */
  take(index: number, offset: number, length: number): "paid" | "late" | "unsolicited" {
    const key = blockKey(index, offset, length);
    if (decrement(this.#pending, key)) return "paid";
    if (decrement(this.#withdrawn, key)) return "late";
    return "unsolicited";
  }
}

function blockKey(index: number, offset: number, length: number): string {
  return `${index}:${offset}:${length}`;
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Takes one from `key`'s count; false when there was none. */
function decrement(counts: Map<string, number>, key: string): boolean {
  const count = counts.get(key);
  if (!count) return false;
  if (count === 1) counts.delete(key);
  else counts.set(key, count - 1);
  return true;
}

/**
 * `local` names the torrent and this client's peer id: the hello's proof and the seeder's identity are bound to them
 * and to the remote peer's id (./proofs.ts).
 */
export function leecherExtension(session: LeecherSession, local: LocalPeer): ExtensionConstructor {
  class W3tPayLeecher {
    readonly #wire: PayWire;
    #state: State = "awaiting_terms";
    #ledger: SeederLedger | null = null;
    #terms: TermsMessage | null = null;
    /** This wire's challenge to the seeder, sent in the hello. */
    readonly #nonce = newNonce();
    readonly #requested: RequestedBlocks;
    /** Requested blocks received before the seeder identified itself (none from an honest seeder). */
    readonly #unattributed: { index: number; bytes: bigint }[] = [];
    #queue: Promise<void> = Promise.resolve();
    readonly #sender = (message: W3tPayMessage) => this.#send(message);
    readonly #refuser = (refusal: RefusalMessage) => this.#refuse(refusal, false);
    /** Bytes of requested blocks received on this wire. */
    receivedOnWire = 0n;

    constructor(wire: PayWire) {
      this.#wire = wire;
      refuseUploads(wire);
      guardWire(wire);
      coalesceWrites(wire);
      this.#requested = new RequestedBlocks(wire);
      wire.on("piece", (index: number, offset: number, block: Uint8Array) => {
        const outcome = this.#requested.take(index, offset, block.length);
        if (outcome === "late" || this.#state === "refused") return;
        if (outcome === "unsolicited") {
          const refusal: RefusalMessage = {
            type: "refusal",
            reason: RefusalReason.Unsolicited,
            message: `block ${index}:${offset} (${block.length} bytes) was not requested on this wire`,
          };
          // Refused on every wire: the address that sent it is paid nothing more in this download.
          if (this.#ledger) session.refuseSeeder(this.#ledger, refusal);
          this.#refuse(refusal);
          return;
        }
        const bytes = BigInt(block.length);
        this.receivedOnWire += bytes;
        if (this.#ledger) session.blockReceived(this.#ledger, index, bytes);
        else this.#unattributed.push({ index, bytes });
      });
      wire.once("close", () => {
        this.#ledger?.senders.delete(this.#sender);
        this.#ledger?.refusers.delete(this.#refuser);
        session.wake();
      });
    }

    get state(): State {
      return this.#state;
    }

    get ledger(): SeederLedger | null {
      return this.#ledger;
    }

    get terms(): TermsMessage | null {
      return this.#terms;
    }

    onExtendedHandshake(_handshake: ExtendedHandshake): void {}

    onMessage(payload: Uint8Array): void {
      let message: W3tPayMessage;
      try {
        message = decodeMessage(payload);
      } catch (error) {
        const e = error as WireMessageError;
        this.#refuse({ type: "refusal", reason: e.reason ?? RefusalReason.Malformed, message: e.message });
        return;
      }
      this.#queue = this.#queue
        .then(() => this.#handle(message))
        .catch((error: Error) => this.#refuse({ type: "refusal", reason: RefusalReason.Unavailable, message: error.message }));
    }

    async #handle(message: W3tPayMessage): Promise<void> {
      if (this.#state === "refused") return;
      switch (message.type) {
        case "terms": {
          if (this.#state !== "awaiting_terms") return this.#refuse(outOfOrder("terms twice"));
          session.observer.terms?.(message);
          await session.escrowKnown;
          const refusal = session.checkTerms(message);
          if (refusal) return this.#refuse(refusal);
          this.#terms = message;
          this.#state = "awaiting_identity";
          this.#send(await session.hello(this.#binding(), message.nonce, this.#nonce));
          return;
        }
        case "identity": {
          if (this.#state !== "awaiting_identity") return this.#refuse(outOfOrder("identity before terms or twice"));
          const terms = this.#terms!;
          const ctx = { chainId: session.options.chainId, rebatePool: session.options.contracts.rebatePool };
          const proven = await verifyIdentity(ctx, this.#binding(), this.#nonce, terms.seeder, message);
          if (!proven) {
            return this.#refuse({
              type: "refusal",
              reason: RefusalReason.BadSignature,
              message: `no proof that this peer speaks for ${terms.seeder}`,
            });
          }
          const ledger = session.ledgerFor(terms);
          // A seeder that sent bad data or unsolicited blocks stays refused on every wire, new ones included.
          if (refusedForGood(ledger)) return this.#refuse(ledger.refusal!, false);
          ledger.refusal = null;
          session.reconnected(ledger);
          for (const { index, bytes } of this.#unattributed.splice(0)) session.blockReceived(ledger, index, bytes);
          ledger.senders.add(this.#sender);
          ledger.refusers.add(this.#refuser);
          this.#ledger = ledger;
          this.#state = "paying";
          return;
        }
        case "voucher_request": {
          if (this.#state !== "paying") return this.#refuse(outOfOrder("voucher request before terms"));
          for (const reply of await session.answer(this.#ledger!, message)) {
            if (reply.type === "refusal") return this.#refuse(reply);
            this.#send(reply);
          }
          return;
        }
        case "ack":
          if (this.#state !== "paying") return this.#refuse(outOfOrder("ack before terms"));
          session.onAck(this.#ledger!, message.voucherBytes, message.receiptBytes);
          return;
        case "refusal":
          this.#state = "refused";
          if (this.#ledger) this.#ledger.refusal = message;
          session.observer.refused?.(this.#ledger, message, true);
          session.wake();
          return;
        default:
          return this.#refuse(outOfOrder(`a seeder does not send ${message.type}`));
      }
    }

    /** Refuses the seeder on this wire; `notify` false when the session already reported it (a failed piece). */
    #refuse(refusal: RefusalMessage, notify = true): void {
      if (this.#state === "refused") return;
      this.#state = "refused";
      this.#ledger?.refusers.delete(this.#refuser);
      if (this.#ledger && !this.#ledger.refusal) this.#ledger.refusal = refusal;
      try {
        this.#send(refusal);
      } catch {
        // The wire may be gone.
      }
      if (!notify) return;
      session.observer.refused?.(this.#ledger, refusal, false);
      session.wake();
    }

    #binding(): WireBinding {
      return { infoHash: local.infoHash, seederPeerId: this.#wire.peerId ?? "", leecherPeerId: local.peerId };
    }

    #send(message: W3tPayMessage): void {
      if (this.#wire.destroyed || !this.#wire.peerExtendedMapping[W3T_PAY]) return;
      this.#wire.extended(W3T_PAY, encodeMessage(message));
    }
  }
  Object.defineProperty(W3tPayLeecher.prototype, "name", { value: W3T_PAY });
  return W3tPayLeecher as unknown as ExtensionConstructor;
}

function outOfOrder(message: string): RefusalMessage {
  return { type: "refusal", reason: RefusalReason.OutOfOrder, message };
}
