/**
 * One on-chain session as the gateway meters it across connections, and the connection a proof attaches it to.
 * The protocol that moves a session between its states is SessionManager's (see sessionManager.ts).
 */
import type { ServerResponse } from "node:http";
import type { Address, Hex } from "viem";
import type WebSocket from "ws";
import type { TokenHolder } from "./tokens.ts";

export const MS_PER_SECOND = 1_000;

/** A configured resource with its on-chain id. */
export interface ServedResource {
  id: string;
  onChainId: bigint;
  /** The resource URL without a token. */
  url: string;
}

/** A WebSocket connection: its challenge, and the session its proof attached, if any. */
export interface Connection {
  ws: WebSocket;
  resource: ServedResource;
  challenge: Hex;
  session?: Session;
  proving: boolean;
  errors: number;
  proofTimer?: NodeJS.Timeout;
}

export class Session implements TokenHolder {
  readonly sessionId: bigint;
  readonly resourceId: string;
  readonly sessionKey: Address;
  readonly maxSeconds: number;
  readonly pricePerSecond: bigint;
  /** The session key's public key, recovered from the proof of the current connection: receipts are verified with it. */
  publicKey?: Uint8Array;
  state: "live" | "disconnected" | "ended" = "disconnected";
  connection?: Connection;
  /** Metered milliseconds before the current connection. */
  servedMs: number;
  liveSince?: number;
  exhausted = false;
  /** Access held until a receipt covers the time used (the meter is stopped meanwhile). */
  awaitingReceipt = false;
  /** Fires when the time used would run past the latest receipt by more than the unpaid allowance. */
  paceTimer?: NodeJS.Timeout;
  /** The latest stored receipt. */
  acknowledged: number;
  signature: Hex | null;
  lastReceiptAt = 0;
  usageTimer?: NodeJS.Timeout;
  exhaustTimer?: NodeJS.Timeout;
  graceTimer?: NodeJS.Timeout;
  finalReceiptTimer?: NodeJS.Timeout;
  readonly responses = new Set<ServerResponse>();

  constructor(init: {
    sessionId: bigint;
    resourceId: string;
    sessionKey: Address;
    maxSeconds: number;
    pricePerSecond: bigint;
    acknowledged: number;
    signature: Hex | null;
  }) {
    this.sessionId = init.sessionId;
    this.resourceId = init.resourceId;
    this.sessionKey = init.sessionKey;
    this.maxSeconds = init.maxSeconds;
    this.pricePerSecond = init.pricePerSecond;
    this.acknowledged = init.acknowledged;
    this.signature = init.signature;
    // A restored session resumes from the seconds its user signed: nothing later is provable.
    this.servedMs = init.acknowledged * MS_PER_SECOND;
  }

  isLive(): boolean {
    return this.state === "live" && !this.exhausted && !this.awaitingReceipt;
  }

  /** Milliseconds used that no receipt covers. */
  unpaidMs(now: number): number {
    return this.elapsedMs(now) - this.acknowledged * MS_PER_SECOND;
  }

  track(response: ServerResponse): void {
    this.responses.add(response);
    response.once("close", () => this.responses.delete(response));
  }

  elapsedMs(now: number): number {
    const running = this.liveSince === undefined ? 0 : now - this.liveSince;
    return Math.min(this.maxSeconds * MS_PER_SECOND, this.servedMs + running);
  }

  elapsedSeconds(now: number): number {
    return Math.floor(this.elapsedMs(now) / MS_PER_SECOND);
  }

  /** Stops the meter, keeping what it counted. */
  pauseMeter(now: number): void {
    this.servedMs = this.elapsedMs(now);
    this.liveSince = undefined;
  }

  clearTimers(): void {
    clearInterval(this.usageTimer);
    clearTimeout(this.exhaustTimer);
    clearTimeout(this.graceTimer);
    clearTimeout(this.finalReceiptTimer);
    clearTimeout(this.paceTimer);
    this.usageTimer = this.exhaustTimer = this.graceTimer = this.finalReceiptTimer = this.paceTimer = undefined;
  }
}
