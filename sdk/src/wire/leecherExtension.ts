/**
 * The leecher's side of `w3t_pay`: a BEP 10 extension for `wire.use(leecherExtension(session))`.
 *
 * It counts the bytes received on its wire (the `download` events of piece messages) into the seeder's ledger,
 * answers the seeder's terms with a hello and each voucher request with what `LeecherSession.answer` signs. A paid
 * download does not upload (`refuseUploads`): the wire never unchokes the other side and sends no block (the content
 * is the seeders' to sell, to licensed and paying peers), so a plain client gets nothing from a leecher either,
 * before or after the download completes. Seeding what was downloaded goes through the seeder extension.
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
import type { LeecherSession, SeederLedger } from "./leecherSession.ts";
import { guardWire } from "./messageLimits.ts";
import type { ExtendedHandshake, ExtensionConstructor, PayWire } from "./wire.ts";

type State = "awaiting_terms" | "paying" | "refused";

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

export function leecherExtension(session: LeecherSession): ExtensionConstructor {
  class W3tPayLeecher {
    readonly #wire: PayWire;
    #state: State = "awaiting_terms";
    #ledger: SeederLedger | null = null;
    #terms: TermsMessage | null = null;
    /** Bytes received before the seeder identified itself (none from an honest seeder). */
    #unattributed = 0n;
    #queue: Promise<void> = Promise.resolve();
    readonly #sender = (message: W3tPayMessage) => this.#send(message);
    readonly #refuser = (refusal: RefusalMessage) => this.#refuse(refusal, false);
    /** Bytes received on this wire. */
    receivedOnWire = 0n;

    constructor(wire: PayWire) {
      this.#wire = wire;
      refuseUploads(wire);
      guardWire(wire);
      wire.on("download", (bytes: number) => {
        const n = BigInt(bytes);
        this.receivedOnWire += n;
        if (this.#ledger) this.#ledger.received += n;
        else this.#unattributed += n;
      });
      wire.on("piece", (index: number) => {
        if (this.#ledger) session.blockReceived(this.#ledger, index);
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
          const refusal = session.checkTerms(message);
          if (refusal) return this.#refuse(refusal);
          this.#terms = message;
          const ledger = session.ledgerFor(message);
          // A seeder that sent bad data stays refused on every wire, new ones included.
          if (ledger.refusal?.reason === RefusalReason.BadData) return this.#refuse(ledger.refusal, false);
          ledger.refusal = null;
          session.reconnected(ledger);
          ledger.received += this.#unattributed;
          this.#unattributed = 0n;
          ledger.senders.add(this.#sender);
          ledger.refusers.add(this.#refuser);
          this.#ledger = ledger;
          this.#state = "paying";
          this.#send(session.hello());
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
