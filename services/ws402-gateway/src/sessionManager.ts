/**
 * Metered sessions over WebSocket: the protocol of one connection (challenge, proof, receipts) and the life of one
 * on-chain session across connections.
 *
 * A session is `live` while a proven connection is attached: its meter runs, its HTTP token works, a usage update
 * goes out every interval and each signed receipt is checked, stored, acknowledged and counts as a heartbeat.
 * When the connection drops or misses its heartbeat the session is `disconnected`: the meter and the token stop,
 * and a proof of the same session on a new connection within the reconnect grace resumes it. Otherwise, and when
 * the client ends it, its deposit runs out or its user asks the contract to close it, the session ends: its token
 * dies at once and the settler pays the provider for the latest receipt and refunds the rest.
 *
 * Seconds charged are those the session key signed. A receipt may not go backwards nor run ahead of the gateway's
 * own count by more than the tolerance, and its signature is checked as the contract will check it.
 *
 * Pacing: bytes are served only while the receipts keep pace with the meter. When the time used runs past the latest
 * receipt by more than one usage interval plus the receipt tolerance (`unpaidAllowanceMs`), access is held — the
 * meter stops, the token answers `receipt_overdue`, open responses are cut — until a receipt covers the time used; no
 * receipt within the heartbeat and the session is suspended. A re-proof on a new connection resumes a session only
 * as far as its receipts allow: it is held from the start when it is behind. So whatever a client does, the
 * provider serves at most one usage interval plus the tolerance that no receipt pays for.
 */
import { randomBytes } from "node:crypto";
import { isAddressEqual, type Address } from "viem";
import WebSocket from "ws";
import {
  SESSION_END_REASONS,
  WS402_CLOSE_CODES,
  WS402_ERRORS,
  type PaymentProofMessage,
  type ServerMessage,
  type SessionEndReason,
  type UsageReceiptMessage,
  type Ws402ErrorCode,
} from "@web3torrent/sdk/ws402/protocol";
import { SESSION_STATUS, type Chain } from "./chain.ts";
import type { GatewaySettings } from "./config.ts";
import { PROVEN_EVENT } from "./connectionLimits.ts";
import type { Logger } from "./log.ts";
import { parseClientMessage } from "./messages.ts";
import { MS_PER_SECOND, Session, type Connection, type ServedResource } from "./session.ts";
import type { Settler } from "./settler.ts";
import { addressOf, type SignatureVerifier } from "./signatures.ts";
import type { Store } from "./store.ts";
import type { TokenHolder, TokenRegistry } from "./tokens.ts";

const CHALLENGE_BYTES = 32;

export type SessionSettings = Pick<
  GatewaySettings,
  | "usageIntervalMs"
  | "heartbeatTimeoutMs"
  | "reconnectGraceMs"
  | "receiptToleranceSeconds"
  | "proofTimeoutMs"
  | "maxProtocolErrors"
  | "maxMessageBytes"
>;

export interface SessionManagerDeps {
  settings: SessionSettings;
  chain: Chain;
  store: Store;
  settler: Settler;
  tokens: TokenRegistry;
  verifier: SignatureVerifier;
  resources: Map<string, ServedResource>;
  log: Logger;
}

export interface SessionMetrics {
  connections: number;
  liveSessions: number;
  disconnectedSessions: number;
  receiptsVerified: number;
  receiptsRejected: number;
  usageUpdatesSent: number;
  protocolErrors: number;
  sessionsStarted: number;
  sessionsEnded: number;
}

export class SessionManager {
  readonly #deps: SessionManagerDeps;
  readonly #sessions = new Map<bigint, Session>();
  readonly #connections = new Set<Connection>();
  readonly #counters = {
    receiptsVerified: 0,
    receiptsRejected: 0,
    usageUpdatesSent: 0,
    protocolErrors: 0,
    sessionsStarted: 0,
    sessionsEnded: 0,
  };
  #closing = false;

  constructor(deps: SessionManagerDeps) {
    this.#deps = deps;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  metrics(): SessionMetrics {
    let live = 0;
    for (const session of this.#sessions.values()) if (session.state === "live") live++;
    return {
      connections: this.#connections.size,
      liveSessions: live,
      disconnectedSessions: this.#sessions.size - live,
      ...this.#counters,
    };
  }

  /**
   * Takes back the sessions that were open when the gateway stopped: each waits the reconnect grace for its
   * client, then is settled with the latest receipt in the store.
   */
  restore(): number {
    const open = this.#deps.store.sessionsIn("open");
    for (const record of open) {
      if (this.#sessions.has(record.sessionId)) continue;
      const session = new Session({ ...record, acknowledged: record.elapsedSeconds });
      this.#sessions.set(session.sessionId, session);
      this.#startGrace(session);
    }
    return open.length;
  }

  /** The session `sessionId` while this gateway holds it (an x402 payment signature names its session). */
  session(sessionId: bigint): (TokenHolder & { readonly sessionKey: Address }) | undefined {
    return this.#sessions.get(sessionId);
  }

  /** Serves a new WebSocket for `resourceId`. */
  accept(ws: WebSocket, resourceId: string | null): void {
    ws.on("error", (error) => this.#deps.log.debug("websocket error", { error }));
    const resource = resourceId === null ? undefined : this.#deps.resources.get(resourceId);
    if (!resource || this.#closing) {
      const reason = this.#closing ? "The gateway is shutting down." : `Unknown resource "${String(resourceId).slice(0, 64)}".`;
      this.#send(ws, { type: "error", code: this.#closing ? WS402_ERRORS.internalError : WS402_ERRORS.unknownResource, reason });
      ws.close(this.#closing ? WS402_CLOSE_CODES.gatewayRestart : WS402_CLOSE_CODES.protocolError, reason.slice(0, 120));
      return;
    }
    const connection: Connection = {
      ws,
      resource,
      challenge: `0x${randomBytes(CHALLENGE_BYTES).toString("hex")}`,
      proving: false,
      errors: 0,
    };
    this.#connections.add(connection);
    connection.proofTimer = setTimeout(() => {
      this.#error(connection, WS402_ERRORS.proofTimeout, "No valid payment proof in time.");
      ws.close(WS402_CLOSE_CODES.proofFailed, "payment proof timeout");
    }, this.#deps.settings.proofTimeoutMs);
    ws.on("message", (data, isBinary) => this.#onMessage(connection, data, isBinary));
    ws.on("close", (code) => this.#onClose(connection, code));
    const { chain } = this.#deps;
    this.#send(ws, {
      type: "challenge",
      challenge: connection.challenge,
      resourceId: resource.id,
      onChainResourceId: resource.onChainId.toString(),
      provider: chain.provider,
      chainId: chain.chainId,
      contract: chain.contract,
    });
  }

  /** The user asked the contract to close `sessionId`: settle now, within its grace period. */
  onCloseRequested(sessionId: bigint): void {
    const session = this.#sessions.get(sessionId);
    if (session) {
      this.#deps.log.info("close requested on-chain; settling now", { sessionId });
      this.#end(session, SESSION_END_REASONS.closeRequested);
    }
  }

  /** Ends every session (they are settled) and closes every connection. */
  shutdown(): void {
    this.#closing = true;
    for (const session of [...this.#sessions.values()]) this.#end(session, SESSION_END_REASONS.gatewayShutdown);
    for (const connection of this.#connections) {
      clearTimeout(connection.proofTimer);
      connection.ws.close(WS402_CLOSE_CODES.gatewayRestart, "gateway shutting down");
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Messages
  // -------------------------------------------------------------------------------------------------------------

  #onMessage(connection: Connection, data: WebSocket.RawData, isBinary: boolean): void {
    if (isBinary) {
      this.#protocolError(connection, WS402_ERRORS.invalidMessage, "Messages are JSON text frames.");
      return;
    }
    const size = Array.isArray(data) ? data.reduce((total, part) => total + part.byteLength, 0) : data.byteLength;
    const { maxMessageBytes } = this.#deps.settings;
    if (size > maxMessageBytes) {
      this.#protocolError(connection, WS402_ERRORS.messageTooLarge, `A message is at most ${maxMessageBytes} bytes; this one has ${size}.`);
      return;
    }
    const parsed = parseClientMessage(data.toString());
    if (!parsed.ok) {
      this.#protocolError(connection, parsed.code, parsed.reason);
      return;
    }
    const { message } = parsed;
    if (message.type === "payment_proof") {
      if (connection.session || connection.proving) {
        this.#protocolError(connection, WS402_ERRORS.alreadyProven, "This connection already has a session.");
        return;
      }
      connection.proving = true;
      this.#onProof(connection, message)
        .catch((error: Error) => {
          this.#deps.log.error("payment proof failed", { error });
          this.#error(connection, WS402_ERRORS.internalError, "The proof could not be checked.");
        })
        .finally(() => (connection.proving = false));
      return;
    }
    const session = connection.session;
    if (!session) {
      this.#protocolError(connection, WS402_ERRORS.proofRequired, "Send a payment_proof first.");
      return;
    }
    if (message.type === "usage_receipt") {
      this.#onReceipt(connection, session, message).catch((error: Error) => {
        this.#deps.log.error("receipt failed", { error });
        this.#error(connection, WS402_ERRORS.internalError, "The receipt could not be checked.");
      });
    } else {
      this.#end(session, SESSION_END_REASONS.clientClosed);
    }
  }

  async #onProof(connection: Connection, message: PaymentProofMessage): Promise<void> {
    const { chain, store, verifier } = this.#deps;
    const sessionId = BigInt(message.sessionId);
    const refuse = (code: Ws402ErrorCode, reason: string) => this.#protocolError(connection, code, reason);

    const stored = store.getSession(sessionId);
    if (stored && stored.state !== "open") return refuse(WS402_ERRORS.sessionEnded, `Session ${sessionId} has ended.`);

    let onChain;
    try {
      onChain = await chain.readSession(sessionId);
    } catch (error) {
      this.#deps.log.warn("cannot read session", { sessionId, error });
      return this.#error(connection, WS402_ERRORS.chainUnavailable, "The chain cannot be reached; try again.");
    }
    if (connection.ws.readyState !== WebSocket.OPEN) return;
    if (onChain.status === SESSION_STATUS.none) return refuse(WS402_ERRORS.sessionNotFound, `Session ${sessionId} does not exist.`);
    if (onChain.status !== SESSION_STATUS.open) return refuse(WS402_ERRORS.sessionNotOpen, `Session ${sessionId} is closed.`);
    if (onChain.resourceId !== connection.resource.onChainId) {
      return refuse(WS402_ERRORS.sessionWrongResource, `Session ${sessionId} pays for another resource.`);
    }
    if (onChain.closeDeadline !== 0) {
      return refuse(WS402_ERRORS.sessionClosing, `Session ${sessionId} is being closed on-chain (requestClose).`);
    }

    const proof = { sessionId, resourceId: connection.resource.onChainId, provider: chain.provider, challenge: connection.challenge };
    // Session keys are plain keys, checked by ECDSA only, as the contract checks receipts: whatever code the key's
    // address has (an EIP-7702 delegation), its ERC-1271 answer is never asked, so nothing is accepted that cannot
    // be settled.
    const publicKey = verifier.proofPublicKey(proof, message.signature);
    const valid = publicKey !== undefined && isAddressEqual(addressOf(publicKey), onChain.sessionKey);
    if (!valid) return refuse(WS402_ERRORS.invalidProof, "The proof is not signed by the session key for this connection.");
    if (connection.ws.readyState !== WebSocket.OPEN) return;

    let session = this.#sessions.get(sessionId);
    const resumed = session !== undefined || stored !== undefined;
    if (!session) {
      const latest = store.getSession(sessionId);
      if (latest && latest.state !== "open") return refuse(WS402_ERRORS.sessionEnded, `Session ${sessionId} has ended.`);
      session = new Session({
        sessionId,
        resourceId: connection.resource.id,
        sessionKey: onChain.sessionKey,
        maxSeconds: onChain.maxSeconds,
        pricePerSecond: onChain.pricePerSecond,
        acknowledged: latest?.elapsedSeconds ?? 0,
        signature: latest?.signature ?? null,
      });
      store.insertSession({ ...session, user: onChain.user });
      this.#sessions.set(sessionId, session);
      this.#counters.sessionsStarted++;
    }
    session.publicKey = publicKey;
    this.#attach(session, connection, resumed);
  }

  async #onReceipt(connection: Connection, session: Session, message: UsageReceiptMessage): Promise<void> {
    const { verifier, settings, store } = this.#deps;
    const reject = (code: Ws402ErrorCode, reason: string) => {
      this.#counters.receiptsRejected++;
      this.#protocolError(connection, code, reason);
    };
    if (BigInt(message.sessionId) !== session.sessionId) {
      return reject(WS402_ERRORS.wrongSession, `This connection meters session ${session.sessionId}.`);
    }
    const seconds = message.elapsedSeconds;
    if (seconds < session.acknowledged) {
      return reject(
        WS402_ERRORS.receiptBackwards,
        `Receipts are cumulative: ${seconds} s is below the ${session.acknowledged} s already signed.`,
      );
    }
    const limit = Math.min(session.maxSeconds, session.elapsedSeconds(Date.now()) + settings.receiptToleranceSeconds);
    if (seconds > limit) {
      return reject(WS402_ERRORS.receiptAhead, `${seconds} s is more than the ${limit} s this session can have used.`);
    }
    let valid: boolean;
    if (seconds === session.acknowledged && message.signature === session.signature) {
      // The latest receipt again, as a heartbeat: already checked.
      valid = true;
    } else {
      valid = session.publicKey !== undefined && verifier.verifyUsage(session.sessionId, seconds, message.signature, session.publicKey);
    }
    if (!valid) return reject(WS402_ERRORS.invalidReceiptSignature, "The receipt is not signed by this session's key.");

    this.#counters.receiptsVerified++;
    session.lastReceiptAt = Date.now();
    if (seconds > session.acknowledged || session.signature === null) {
      store.recordReceipt(session.sessionId, seconds, message.signature);
      session.acknowledged = seconds;
      session.signature = message.signature;
    }
    this.#send(connection.ws, { type: "receipt_accepted", sessionId: message.sessionId, elapsedSeconds: session.acknowledged });
    if (session.exhausted && session.acknowledged >= session.maxSeconds) this.#end(session, SESSION_END_REASONS.depositExhausted);
    else if (session.state === "live" && session.connection === connection) this.#keepPace(session, connection);
  }

  #onClose(connection: Connection, code: number): void {
    clearTimeout(connection.proofTimer);
    this.#connections.delete(connection);
    const session = connection.session;
    connection.session = undefined;
    if (!session || session.connection !== connection || session.state === "ended") return;
    if (session.exhausted) this.#end(session, SESSION_END_REASONS.depositExhausted);
    else if (code === WS402_CLOSE_CODES.normal) this.#end(session, SESSION_END_REASONS.clientClosed);
    else this.#suspend(session);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Session life
  // -------------------------------------------------------------------------------------------------------------

  #attach(session: Session, connection: Connection, resumed: boolean): void {
    const now = Date.now();
    const previous = session.connection;
    if (previous && previous !== connection) {
      previous.session = undefined;
      this.#send(previous.ws, { type: "error", code: WS402_ERRORS.sessionEnded, reason: "The session continues on another connection." });
      previous.ws.close(WS402_CLOSE_CODES.takenOver, "session taken over");
    }
    session.pauseMeter(now);
    session.clearTimers();
    clearTimeout(connection.proofTimer);
    connection.ws.emit(PROVEN_EVENT);
    session.connection = connection;
    connection.session = session;
    session.state = "live";
    session.lastReceiptAt = now;
    const { settings } = this.#deps;
    this.#send(connection.ws, {
      type: "session_started",
      sessionId: session.sessionId.toString(),
      resourceId: session.resourceId,
      maxSeconds: session.maxSeconds,
      pricePerSecond: session.pricePerSecond.toString(),
      deposit: (session.pricePerSecond * BigInt(session.maxSeconds)).toString(),
      elapsedSeconds: session.elapsedSeconds(now),
      acknowledgedSeconds: session.acknowledged,
      resumed,
    });
    if (session.elapsedMs(now) >= session.maxSeconds * MS_PER_SECOND) {
      this.#exhaust(session);
      return;
    }
    session.usageTimer = setInterval(() => this.#tick(session), settings.usageIntervalMs);
    session.awaitingReceipt = false;
    if (session.unpaidMs(now) > this.#unpaidAllowanceMs()) {
      // Behind its receipts (a client that never signs, taking its session over again and again): held until paid.
      this.#holdForReceipt(session, connection, now);
    } else {
      this.#grantAccess(session, connection, now);
    }
    this.#deps.log.debug(resumed ? "session resumed" : "session started", { sessionId: session.sessionId });
  }

  /** What the provider serves with no receipt to pay for it: one usage interval plus the receipt tolerance. */
  #unpaidAllowanceMs(): number {
    const { usageIntervalMs, receiptToleranceSeconds } = this.#deps.settings;
    return usageIntervalMs + receiptToleranceSeconds * MS_PER_SECOND;
  }

  /** Starts the meter and grants HTTP access (the same token across connections). */
  #grantAccess(session: Session, connection: Connection, now: number): void {
    const { tokens } = this.#deps;
    session.awaitingReceipt = false;
    session.liveSince = now;
    const token = tokens.tokenFor(session);
    this.#send(connection.ws, {
      type: "http_access_granted",
      sessionId: session.sessionId.toString(),
      token,
      url: `${connection.resource.url}?token=${encodeURIComponent(token)}`,
    });
    clearTimeout(session.exhaustTimer);
    session.exhaustTimer = setTimeout(() => this.#exhaust(session), session.maxSeconds * MS_PER_SECOND - session.elapsedMs(now));
    this.#armPace(session, connection, now);
  }

  /** Stops the meter and holds access until a receipt covers the time used; asks for one with a usage update. */
  #holdForReceipt(session: Session, connection: Connection, now: number): void {
    session.pauseMeter(now);
    session.awaitingReceipt = true;
    clearTimeout(session.exhaustTimer);
    clearTimeout(session.paceTimer);
    session.exhaustTimer = session.paceTimer = undefined;
    for (const response of session.responses) response.destroy();
    this.#sendUsage(session, connection, now);
  }

  /** Re-arms the pace timer after a receipt, and resumes a held session whose receipts caught up. */
  #keepPace(session: Session, connection: Connection): void {
    const now = Date.now();
    if (session.awaitingReceipt) {
      if (session.unpaidMs(now) <= this.#unpaidAllowanceMs()) this.#grantAccess(session, connection, now);
      return;
    }
    this.#armPace(session, connection, now);
  }

  #armPace(session: Session, connection: Connection, now: number): void {
    clearTimeout(session.paceTimer);
    const left = this.#unpaidAllowanceMs() - session.unpaidMs(now);
    session.paceTimer = setTimeout(
      () => {
        if (session.state !== "live" || session.connection !== connection || session.exhausted) return;
        if (session.unpaidMs(Date.now()) > this.#unpaidAllowanceMs()) this.#holdForReceipt(session, connection, Date.now());
        else this.#armPace(session, connection, Date.now());
      },
      Math.max(0, left) + 1,
    );
  }

  #tick(session: Session): void {
    const connection = session.connection;
    if (!connection || session.state !== "live") return;
    const now = Date.now();
    if (now - session.lastReceiptAt > this.#deps.settings.heartbeatTimeoutMs) {
      this.#error(connection, WS402_ERRORS.heartbeatTimeout, "No usage receipt in time; the session is suspended.");
      this.#suspend(session);
      connection.session = undefined;
      connection.ws.close(WS402_CLOSE_CODES.heartbeatTimeout, "heartbeat timeout");
      return;
    }
    this.#sendUsage(session, connection, now);
  }

  #sendUsage(session: Session, connection: Connection, now: number): void {
    const elapsedSeconds = session.elapsedSeconds(now);
    const consumed = session.pricePerSecond * BigInt(elapsedSeconds);
    this.#send(connection.ws, {
      type: "usage_update",
      sessionId: session.sessionId.toString(),
      elapsedSeconds,
      maxSeconds: session.maxSeconds,
      consumed: consumed.toString(),
      remaining: (session.pricePerSecond * BigInt(session.maxSeconds) - consumed).toString(),
      at: now,
    });
    this.#counters.usageUpdatesSent++;
  }

  /** The deposit is used up: no more access; wait a heartbeat for the final receipt, then end. */
  #exhaust(session: Session): void {
    if (session.exhausted || session.state !== "live") return;
    const now = Date.now();
    session.exhausted = true;
    // Every paid second has been served by definition (a timer may fire a moment early).
    session.servedMs = session.maxSeconds * MS_PER_SECOND;
    session.liveSince = undefined;
    session.clearTimers();
    this.#deps.tokens.revoke(session.sessionId, now);
    for (const response of session.responses) response.destroy();
    if (session.connection) this.#sendUsage(session, session.connection, now);
    if (session.acknowledged >= session.maxSeconds) {
      this.#end(session, SESSION_END_REASONS.depositExhausted);
      return;
    }
    session.finalReceiptTimer = setTimeout(
      () => this.#end(session, SESSION_END_REASONS.depositExhausted),
      this.#deps.settings.heartbeatTimeoutMs,
    );
  }

  /** The connection is gone: stop metering and wait the reconnect grace. */
  #suspend(session: Session): void {
    session.pauseMeter(Date.now());
    session.clearTimers();
    session.connection = undefined;
    session.state = "disconnected";
    for (const response of session.responses) response.destroy();
    this.#startGrace(session);
    this.#deps.log.debug("session disconnected", { sessionId: session.sessionId });
  }

  #startGrace(session: Session): void {
    session.graceTimer = setTimeout(() => this.#end(session, SESSION_END_REASONS.disconnected), this.#deps.settings.reconnectGraceMs);
  }

  #end(session: Session, reason: SessionEndReason): void {
    if (session.state === "ended") return;
    const { store, tokens, settler } = this.#deps;
    const now = Date.now();
    session.pauseMeter(now);
    session.clearTimers();
    session.state = "ended";
    tokens.revoke(session.sessionId, now);
    for (const response of session.responses) response.destroy();
    this.#sessions.delete(session.sessionId);
    store.beginSettlement(session.sessionId, reason);
    this.#counters.sessionsEnded++;

    const connection = session.connection;
    session.connection = undefined;
    if (connection) {
      connection.session = undefined;
      const charged = BigInt(Math.min(session.acknowledged, session.maxSeconds));
      this.#send(connection.ws, {
        type: "session_ended",
        sessionId: session.sessionId.toString(),
        reason,
        elapsedSeconds: Number(charged),
        charged: (charged * session.pricePerSecond).toString(),
        refund: ((BigInt(session.maxSeconds) - charged) * session.pricePerSecond).toString(),
      });
      connection.ws.close(WS402_CLOSE_CODES.normal, "session ended");
    }
    this.#deps.log.info("session ended", { sessionId: session.sessionId, reason, elapsedSeconds: session.acknowledged });
    settler.enqueue(session.sessionId);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Output
  // -------------------------------------------------------------------------------------------------------------

  #send(ws: WebSocket, message: ServerMessage): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  #error(connection: Connection, code: Ws402ErrorCode, reason: string): void {
    this.#send(connection.ws, { type: "error", code, reason });
  }

  /** Answers a bad message; a connection that keeps sending them is closed. */
  #protocolError(connection: Connection, code: Ws402ErrorCode, reason: string): void {
    this.#counters.protocolErrors++;
    this.#error(connection, code, reason);
    if (++connection.errors >= this.#deps.settings.maxProtocolErrors) {
      this.#error(connection, WS402_ERRORS.tooManyErrors, "Too many invalid messages; closing.");
      connection.ws.close(WS402_CLOSE_CODES.protocolError, "too many invalid messages");
    }
  }
}
