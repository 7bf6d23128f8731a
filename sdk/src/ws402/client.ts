/**
 * The WS402 client, for browsers and Node (it needs only `fetch`, the `WebSocket` global and viem).
 *
 *   const client = await Ws402Client.open({ schemaUrl, walletClient, publicClient });   // one wallet transaction
 *   client.on("usage", (u) => show(u.elapsedSeconds, u.consumed, u.remaining));
 *   const { url } = await client.connect();      // iframe.src = url
 *   ...
 *   const ended = await client.close();          // the gateway settles; the refund comes back on its own
 *   const outcome = await client.waitForSettlement();
 *
 * The session key answers the gateway's challenge once per connection and signs a cumulative `Usage` receipt
 * after each usage update — never for more seconds than the gateway reports nor than this client has itself been
 * connected to the started session by its own clock, plus `WS402_RECEIPT_TOLERANCE_SECONDS` (the sdk's, never the
 * gateway's `receiptToleranceSeconds`), so a gateway cannot charge for time it did not serve: a lying gateway takes
 * at most that tolerance more than the time served. `open` deposits only into the WS402Deposits contract the client
 * knows (`deposits`, or the sdk's deployment for the chain) and refuses a schema naming another. A dropped
 * connection is retried within the gateway's reconnect grace. If the gateway is gone for good,
 * `requestClose()` and, after the grace period, `reclaim()` return the whole deposit.
 */
import type { Address, Hex, LocalAccount, PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { usageTypes, ws402Domain } from "../eip712.ts";
import {
  openWs402Deposit,
  readWs402Outcome,
  reclaimWs402Deposit,
  requestWs402Close,
  waitForWs402Outcome,
  type Ws402Deposit,
  type Ws402Outcome,
  type Ws402WalletClient,
} from "./deposit.ts";
import { Ws402Error } from "./errors.ts";
import {
  WS402_CLOSE_CODES,
  paymentProofTypes,
  ws402GatewayDomain,
  type ClientMessage,
  type ServerMessage,
  type SessionEndReason,
  type Ws402SchemaDocument,
} from "./protocol.ts";
import { fetchWs402Schema } from "./schema.ts";

/** What signs for the session: a viem local account (e.g. `privateKeyToAccount(sessionKey)`). */
export type Ws402Signer = Pick<LocalAccount, "address" | "signTypedData">;

export type Ws402State = "idle" | "connecting" | "live" | "reconnecting" | "disconnected" | "ended";

export interface Ws402Access {
  token: string;
  url: string;
}

export interface Ws402Usage {
  elapsedSeconds: number;
  maxSeconds: number;
  consumed: bigint;
  remaining: bigint;
  /** The gateway's clock when it sent the update (ms since the epoch). */
  at: number;
}

export interface Ws402Ended {
  reason: SessionEndReason;
  elapsedSeconds: number;
  charged: bigint;
  refund: bigint;
}

export interface Ws402Events {
  state: Ws402State;
  access: Ws402Access;
  usage: Ws402Usage;
  /** The gateway stored a receipt for this many seconds. */
  receipt: { elapsedSeconds: number };
  ended: Ws402Ended;
  error: Ws402Error;
}

type WebSocketConstructor = new (url: string) => WebSocket;

export interface Ws402ClientOptions {
  schema: Ws402SchemaDocument;
  sessionId: bigint;
  /** The session key: its private key, or a signer. */
  sessionKey: Hex | Ws402Signer;
  /** Needed for waitForSettlement, requestClose and reclaim. */
  publicClient?: PublicClient;
  /** The user's wallet, needed for requestClose and reclaim. */
  walletClient?: Ws402WalletClient;
  /** Reconnect a dropped connection within the gateway's reconnect grace (default true). */
  autoReconnect?: boolean;
  /** Defaults to the global WebSocket (browsers, Node 22). */
  WebSocket?: WebSocketConstructor;
  /** How long close() waits for the gateway's answer (default 10 s). */
  closeTimeoutMs?: number;
}

export interface OpenOptions extends Omit<Ws402ClientOptions, "schema" | "sessionId" | "sessionKey"> {
  schema?: Ws402SchemaDocument;
  schemaUrl?: string;
  walletClient: Ws402WalletClient;
  publicClient: PublicClient;
  maxSeconds?: number;
  /** The WS402Deposits contract to pay into; defaults to the sdk's deployment on the schema's chain. */
  deposits?: Address;
}

/**
 * Seconds a receipt may run ahead of this client's own measure of the time it was served: the gateway counts from
 * its side of the connection and rounds up to whole seconds. Fixed in the sdk: the gateway does not choose it.
 */
export const WS402_RECEIPT_TOLERANCE_SECONDS = 2;

const RECONNECT_DELAYS_MS = [100, 250, 500, 1_000, 2_000];
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
const MS_PER_SECOND = 1_000;

export class Ws402Client {
  readonly schema: Ws402SchemaDocument;
  readonly sessionId: bigint;
  readonly signer: Ws402Signer;
  /** Set when the session was opened by `Ws402Client.open`. */
  deposit?: Ws402Deposit;

  readonly #options: Ws402ClientOptions;
  readonly #WebSocket: WebSocketConstructor;
  readonly #listeners = new Map<keyof Ws402Events, Set<(value: never) => void>>();
  #state: Ws402State = "idle";
  #socket?: WebSocket;
  #access?: Ws402Access;
  #usage?: Ws402Usage;
  #usageReceivedAt = 0;
  #ended?: Ws402Ended;
  #maxSeconds?: number;
  /** Milliseconds this client was connected to a started session, before the current connection. */
  #servedMs = 0;
  #liveSince?: number;
  #signed?: { elapsedSeconds: number; signature: Hex };
  #acknowledged = 0;
  #signing: Promise<void> = Promise.resolve();
  #wantConnected = false;
  #disconnectedAt?: number;
  #reconnectTimer?: ReturnType<typeof setTimeout>;
  #reconnectAttempts = 0;
  #pendingConnect?: { resolve: (access: Ws402Access) => void; reject: (error: Ws402Error) => void };
  #pendingClose?: (ended: Ws402Ended | undefined) => void;

  constructor(options: Ws402ClientOptions) {
    this.#options = options;
    this.schema = options.schema;
    this.sessionId = options.sessionId;
    this.signer = typeof options.sessionKey === "string" ? privateKeyToAccount(options.sessionKey) : options.sessionKey;
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketImpl) throw new Ws402Error("no_websocket", "No WebSocket implementation: pass options.WebSocket.");
    this.#WebSocket = WebSocketImpl;
  }

  /** Fetches the schema (unless given), opens the deposit with a fresh session key, and returns the client. */
  static async open(options: OpenOptions): Promise<Ws402Client> {
    const schema = options.schema ?? (await fetchWs402Schema(requireValue(options.schemaUrl, "schema or schemaUrl")));
    const deposit = await openWs402Deposit({
      schema,
      walletClient: options.walletClient,
      publicClient: options.publicClient,
      maxSeconds: options.maxSeconds,
      deposits: options.deposits,
    });
    const client = new Ws402Client({ ...options, schema, sessionId: deposit.sessionId, sessionKey: deposit.sessionKey });
    client.deposit = deposit;
    return client;
  }

  get state(): Ws402State {
    return this.#state;
  }
  get access(): Ws402Access | undefined {
    return this.#access;
  }
  get usage(): Ws402Usage | undefined {
    return this.#usage;
  }
  get ended(): Ws402Ended | undefined {
    return this.#ended;
  }
  /** The latest receipt the gateway acknowledged storing: what it will settle with at least. */
  get acknowledgedSeconds(): number {
    return this.#acknowledged;
  }
  /** Seconds this client has been connected to its started session. */
  get connectedSeconds(): number {
    return Math.floor(this.#connectedMs() / MS_PER_SECOND);
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof Ws402Events>(event: K, listener: (value: Ws402Events[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (value: never) => void);
    return () => set.delete(listener as (value: never) => void);
  }

  /** Connects (or reconnects) the session; resolves with the HTTP access once the gateway granted it. */
  connect(): Promise<Ws402Access> {
    if (this.#ended) return Promise.reject(new Ws402Error("session_ended", "The session has ended."));
    if (this.#state === "live" && this.#access) return Promise.resolve(this.#access);
    this.#wantConnected = true;
    clearTimeout(this.#reconnectTimer);
    this.#pendingConnect?.reject(new Ws402Error("superseded", "A newer connect() call replaced this one."));
    return new Promise<Ws402Access>((resolve, reject) => {
      this.#pendingConnect = { resolve, reject };
      this.#openSocket();
    });
  }

  /** Closes the connection without ending the session: the gateway keeps it for its reconnect grace. */
  disconnect(): void {
    this.#wantConnected = false;
    clearTimeout(this.#reconnectTimer);
    this.#socket?.close(WS402_CLOSE_CODES.suspend, "suspend");
  }

  /** Ends the session: the gateway settles it and the refund comes back to the wallet on its own. */
  async close(): Promise<Ws402Ended | undefined> {
    if (this.#ended) return this.#ended;
    this.#wantConnected = false;
    clearTimeout(this.#reconnectTimer);
    const socket = this.#socket;
    if (!socket || socket.readyState !== socket.OPEN || this.#state !== "live") {
      throw new Ws402Error("not_connected", "The gateway is not connected: connect() again, or requestClose() and reclaim() on-chain.");
    }
    const ended = new Promise<Ws402Ended | undefined>((resolve) => (this.#pendingClose = resolve));
    const timeout = setTimeout(() => this.#pendingClose?.(undefined), this.#options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
    // The seconds since the last usage update were served too: sign them before saying goodbye, so that the
    // settlement counts them — as the gateway counts them (its last update plus the time since), never more
    // than this client was connected.
    const sinceUpdate = this.#usage ? Math.floor((Date.now() - this.#usageReceivedAt) / MS_PER_SECOND) : 0;
    const gatewaySeconds = (this.#usage?.elapsedSeconds ?? 0) + sinceUpdate;
    this.#signing = this.#signing.then(() => this.#sendReceipt(Math.min(gatewaySeconds, this.connectedSeconds)));
    // A last receipt that cannot be signed leaves only these seconds unpaid: the session ends all the same.
    await this.#signing.catch(() => {});
    this.#send({ type: "end_session" });
    try {
      return await ended;
    } finally {
      clearTimeout(timeout);
      this.#pendingClose = undefined;
      if (socket.readyState === socket.OPEN) socket.close(WS402_CLOSE_CODES.normal, "session ended");
    }
  }

  /** Resolves when the session is settled (or reclaimed) on-chain. */
  waitForSettlement(options?: { timeoutMs?: number; pollMs?: number }): Promise<Ws402Outcome> {
    return waitForWs402Outcome(this.#publicClient(), this.schema.contract.address, this.sessionId, options);
  }

  /** The session's outcome on-chain, or undefined while it is open. */
  outcome(): Promise<Ws402Outcome | undefined> {
    return readWs402Outcome(this.#publicClient(), this.schema.contract.address, this.sessionId);
  }

  /** The gateway is gone: start the contract's grace period (the provider may still settle within it). */
  requestClose(): Promise<{ deadline: number; txHash: Hex }> {
    this.disconnect();
    return requestWs402Close(this.#walletClient(), this.#publicClient(), this.schema.contract.address, this.sessionId);
  }

  /** After the grace period of requestClose: take back the whole deposit. */
  reclaim(): Promise<{ amount: bigint; txHash: Hex }> {
    return reclaimWs402Deposit(this.#walletClient(), this.#publicClient(), this.schema.contract.address, this.sessionId);
  }

  // -------------------------------------------------------------------------------------------------------------

  #emit<K extends keyof Ws402Events>(event: K, value: Ws402Events[K]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        (listener as (value: Ws402Events[K]) => void)(value);
      } catch (error) {
        // A listener's bug must not break the session.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  #setState(state: Ws402State): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#emit("state", state);
  }

  #fail(error: Ws402Error): void {
    this.#emit("error", error);
  }

  #publicClient(): PublicClient {
    return requireValue(this.#options.publicClient, "publicClient");
  }

  #walletClient(): Ws402WalletClient {
    return requireValue(this.#options.walletClient, "walletClient");
  }

  #connectedMs(): number {
    return this.#servedMs + (this.#liveSince === undefined ? 0 : Date.now() - this.#liveSince);
  }

  #send(message: ClientMessage): void {
    const socket = this.#socket;
    if (socket && socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  }

  #openSocket(): void {
    this.#setState(this.#state === "live" || this.#state === "reconnecting" ? "reconnecting" : "connecting");
    let socket: WebSocket;
    try {
      socket = new this.#WebSocket(this.schema.websocketEndpoint);
    } catch (error) {
      this.#onSocketClosed(undefined, 1006, (error as Error).message);
      return;
    }
    this.#socket = socket;
    socket.onmessage = (event) => this.#onMessage(typeof event.data === "string" ? event.data : "");
    let opened = false;
    socket.onopen = () => (opened = true);
    socket.onclose = (event) => this.#onSocketClosed(socket, event.code, event.reason);
    // An error on an open socket is followed by a close event, which decides what happens next. A connection that
    // fails to open may get no close event at all (Node's WebSocket), so the error ends it here.
    socket.onerror = () => {
      if (!opened) this.#onSocketClosed(socket, 1006, "connection failed");
    };
  }

  #onMessage(data: string): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(data) as ServerMessage;
    } catch {
      this.#fail(new Ws402Error("malformed_message", "The gateway sent a message that is not JSON."));
      return;
    }
    switch (message.type) {
      case "challenge":
        void this.#answerChallenge(message.challenge, message);
        break;
      case "session_started":
        this.#maxSeconds = message.maxSeconds;
        this.#acknowledged = Math.max(this.#acknowledged, message.acknowledgedSeconds);
        this.#liveSince = Date.now();
        this.#disconnectedAt = undefined;
        this.#reconnectAttempts = 0;
        this.#setState("live");
        break;
      case "http_access_granted":
        this.#access = { token: message.token, url: message.url };
        this.#emit("access", this.#access);
        this.#pendingConnect?.resolve(this.#access);
        this.#pendingConnect = undefined;
        break;
      case "usage_update":
        this.#usageReceivedAt = Date.now();
        this.#usage = {
          elapsedSeconds: message.elapsedSeconds,
          maxSeconds: message.maxSeconds,
          consumed: BigInt(message.consumed),
          remaining: BigInt(message.remaining),
          at: message.at,
        };
        this.#emit("usage", this.#usage);
        this.#signing = this.#signing
          .then(() => this.#sendReceipt(message.elapsedSeconds))
          .catch((error: Error) => {
            this.#fail(new Ws402Error("signing_failed", `The session key could not sign a receipt: ${error.message}`));
          });
        break;
      case "receipt_accepted":
        this.#acknowledged = Math.max(this.#acknowledged, message.elapsedSeconds);
        this.#emit("receipt", { elapsedSeconds: message.elapsedSeconds });
        break;
      case "session_ended":
        this.#onEnded({
          reason: message.reason,
          elapsedSeconds: message.elapsedSeconds,
          charged: BigInt(message.charged),
          refund: BigInt(message.refund),
        });
        break;
      case "error": {
        const error = new Ws402Error(message.code, message.reason);
        if (this.#pendingConnect && this.#state !== "live") {
          this.#pendingConnect.reject(error);
          this.#pendingConnect = undefined;
          // The gateway refused this session (or it is over): no point retrying.
          this.#wantConnected = false;
        }
        this.#fail(error);
        break;
      }
      default:
        this.#fail(new Ws402Error("unknown_message", `The gateway sent an unknown message type.`));
    }
  }

  async #answerChallenge(
    challenge: Hex,
    from: { contract: Address; chainId: number; provider: Address; onChainResourceId: string },
  ): Promise<void> {
    const { contract } = this.schema;
    // The proof names the schema's terms; a gateway announcing others is not the one the deposit pays.
    if (
      from.contract.toLowerCase() !== contract.address.toLowerCase() ||
      from.chainId !== contract.chainId ||
      from.provider.toLowerCase() !== this.schema.provider.toLowerCase() ||
      from.onChainResourceId !== contract.resourceId
    ) {
      const error = new Ws402Error(
        "gateway_mismatch",
        "The gateway's challenge names another contract, chain, provider or resource than its schema.",
      );
      this.#pendingConnect?.reject(error);
      this.#pendingConnect = undefined;
      this.#wantConnected = false;
      this.#socket?.close(WS402_CLOSE_CODES.normal, "gateway mismatch");
      this.#fail(error);
      return;
    }
    const signature = await this.signer.signTypedData({
      domain: ws402GatewayDomain(contract.chainId, contract.address),
      types: paymentProofTypes,
      primaryType: "PaymentProof",
      message: { sessionId: this.sessionId, resourceId: BigInt(contract.resourceId), provider: this.schema.provider, challenge },
    });
    this.#send({ type: "payment_proof", sessionId: this.sessionId.toString(), signature });
  }

  /** Signs for the gateway's count, capped by this client's own measure of the time it was served. */
  async #sendReceipt(reportedSeconds: number): Promise<void> {
    const ownLimit = Math.floor(this.#connectedMs() / MS_PER_SECOND) + WS402_RECEIPT_TOLERANCE_SECONDS;
    let seconds = Math.min(reportedSeconds, ownLimit, this.#maxSeconds ?? reportedSeconds);
    const previous = this.#signed;
    if (previous && seconds <= previous.elapsedSeconds) {
      // Receipts are cumulative: repeat the latest one as the heartbeat.
      seconds = previous.elapsedSeconds;
    } else {
      const { chainId, address } = this.schema.contract;
      const signature = await this.signer.signTypedData({
        domain: ws402Domain(chainId, address),
        types: usageTypes,
        primaryType: "Usage",
        message: { sessionId: this.sessionId, elapsedSeconds: BigInt(seconds) },
      });
      this.#signed = { elapsedSeconds: seconds, signature };
    }
    this.#send({
      type: "usage_receipt",
      sessionId: this.sessionId.toString(),
      elapsedSeconds: seconds,
      signature: this.#signed!.signature,
    });
  }

  #onEnded(ended: Ws402Ended): void {
    this.#ended = ended;
    this.#wantConnected = false;
    this.#pauseClock();
    this.#setState("ended");
    this.#emit("ended", ended);
    this.#pendingClose?.(ended);
    this.#pendingConnect?.reject(new Ws402Error("session_ended", `The session has ended (${ended.reason}).`));
    this.#pendingConnect = undefined;
  }

  #pauseClock(): void {
    if (this.#liveSince !== undefined) this.#servedMs += Date.now() - this.#liveSince;
    this.#liveSince = undefined;
  }

  #onSocketClosed(socket: WebSocket | undefined, code: number, reason: string): void {
    if (socket && socket !== this.#socket) return;
    this.#socket = undefined;
    this.#pauseClock();
    this.#pendingClose?.(this.#ended);
    if (this.#ended) return;
    this.#disconnectedAt ??= Date.now();
    const graceLeft = this.#disconnectedAt + this.schema.session.reconnectGraceMs - Date.now();
    // A connection taken over by another one (another tab) must not fight back.
    const takenOver = code === WS402_CLOSE_CODES.takenOver;
    if (this.#wantConnected && !takenOver && (this.#options.autoReconnect ?? true) && graceLeft > 0) {
      this.#setState("reconnecting");
      const attempt = Math.min(this.#reconnectAttempts++, RECONNECT_DELAYS_MS.length - 1);
      this.#reconnectTimer = setTimeout(() => this.#openSocket(), Math.min(RECONNECT_DELAYS_MS[attempt]!, graceLeft));
      return;
    }
    this.#reconnectAttempts = 0;
    this.#setState("disconnected");
    const error = new Ws402Error("disconnected", `The gateway connection closed (${code}${reason ? `: ${reason}` : ""}).`);
    this.#pendingConnect?.reject(error);
    this.#pendingConnect = undefined;
    if (this.#wantConnected) this.#fail(error);
  }
}

function requireValue<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Ws402Error("missing_option", `This needs the ${name} option.`);
  return value;
}
