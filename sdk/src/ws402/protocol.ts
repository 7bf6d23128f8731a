/**
 * The WS402 wire protocol between a client and a gateway: the schema document, the WebSocket messages, their error
 * codes and close codes, and the EIP-712 payment proof. Shared by the gateway (services/ws402-gateway) and the
 * client in this folder, so both sides read one definition.
 *
 * Amounts (wei) and session ids travel as decimal strings: JSON has no bigint.
 *
 *   client                                   gateway
 *   GET /api/resource/:id/schema      →      schema (endpoint, pricing, contract)
 *   open(...) on WS402Deposits (one wallet transaction, with a fresh session key)
 *   WebSocket /ws402?resourceId=:id   →
 *                                     ←      challenge {challenge, provider, ...}
 *   payment_proof {sessionId, signature}  → (PaymentProof signed by the session key)
 *                                     ←      session_started, http_access_granted {token, url}
 *                                     ←      usage_update every few seconds
 *   usage_receipt {elapsedSeconds, signature} → (Usage signed by the session key)
 *                                     ←      receipt_accepted (stored durably)
 *   end_session                       →
 *                                     ←      session_ended; the gateway settles on-chain, the refund is automatic
 */
import type { Address, Hex, TypedDataDomain } from "viem";
import type { X402ErrorCode } from "./x402.ts";

/** Version of this protocol, in the schema document. */
export const WS402_PROTOCOL_VERSION = 1;

/** Path of the WebSocket endpoint; the resource is chosen with `?resourceId=`. */
export const WS402_WEBSOCKET_PATH = "/ws402";

/** The schema document served at `GET /api/resource/:id/schema`. */
export interface Ws402SchemaDocument {
  protocol: "ws402";
  version: number;
  resource: {
    id: string;
    title: string;
    mimeType: string;
    /** Bytes of the file served over HTTP. */
    size: number;
    /** The HTTP URL of the resource; add `?token=` from `http_access_granted`. */
    url: string;
  };
  websocketEndpoint: string;
  pricing: {
    /** Wei per second, the on-chain price of the resource. */
    pricePerSecond: string;
    /** The provider's estimate of the time the resource takes, and the deposit it suggests. */
    estimatedSeconds: number;
    totalPrice: string;
    currency: "ETH";
  };
  contract: {
    chainId: number;
    /** The WS402Deposits contract the session must be opened on. */
    address: Address;
    /** The resource's id in the contract. */
    resourceId: string;
  };
  /** The account that registered the resource and settles its sessions. */
  provider: Address;
  session: {
    usageIntervalMs: number;
    /** A session without a receipt for this long is disconnected (and, after the reconnect grace, settled). */
    heartbeatTimeoutMs: number;
    /** How long a disconnected session waits for a reconnect before it is settled. */
    reconnectGraceMs: number;
    /** How far (seconds) a receipt may run ahead of the gateway's own count. */
    receiptToleranceSeconds: number;
    /** Largest WebSocket message the gateway accepts, in bytes. */
    maxMessageBytes: number;
  };
}

/** Body of an HTTP 402 answer: why access was refused and how to pay for it (x402 clients read its header too). */
export interface Ws402PaymentRequired {
  error: { code: Ws402HttpErrorCode | X402ErrorCode; reason: string };
  schemaUrl: string;
  schema: Ws402SchemaDocument;
}

export const WS402_HTTP_ERRORS = {
  tokenMissing: "token_missing",
  tokenInvalid: "token_invalid",
  tokenExpired: "token_expired",
  tokenWrongResource: "token_wrong_resource",
  sessionSuspended: "session_suspended",
  /** The time used runs past the latest receipt by more than the gateway serves unpaid: access is held until one covers it. */
  receiptOverdue: "receipt_overdue",
} as const;
export type Ws402HttpErrorCode = (typeof WS402_HTTP_ERRORS)[keyof typeof WS402_HTTP_ERRORS];

// ---------------------------------------------------------------------------------------------------------------------
// WebSocket messages
// ---------------------------------------------------------------------------------------------------------------------

/** Gateway → client, first message of every connection: what the payment proof must sign. */
export interface ChallengeMessage {
  type: "challenge";
  /** 32 random bytes, fresh for this connection: a proof answers one connection only. */
  challenge: Hex;
  resourceId: string;
  onChainResourceId: string;
  provider: Address;
  chainId: number;
  contract: Address;
}

/** Client → gateway: the session is mine (signed by its session key for this connection's challenge). */
export interface PaymentProofMessage {
  type: "payment_proof";
  sessionId: string;
  signature: Hex;
}

export interface SessionStartedMessage {
  type: "session_started";
  sessionId: string;
  resourceId: string;
  maxSeconds: number;
  pricePerSecond: string;
  deposit: string;
  /** Seconds already counted when this connection took over (non-zero on a resume). */
  elapsedSeconds: number;
  /** The latest receipt the gateway holds for the session. */
  acknowledgedSeconds: number;
  resumed: boolean;
}

export interface HttpAccessGrantedMessage {
  type: "http_access_granted";
  sessionId: string;
  token: string;
  /** The resource URL with the token: usable in an iframe, img or video element while the session lives. */
  url: string;
}

export interface UsageUpdateMessage {
  type: "usage_update";
  sessionId: string;
  elapsedSeconds: number;
  maxSeconds: number;
  /** Wei for the elapsed seconds. */
  consumed: string;
  /** Wei of the deposit not yet used. */
  remaining: string;
  /** The gateway's clock (ms since the epoch) when it sent the update. */
  at: number;
}

/** Client → gateway: `Usage(sessionId, elapsedSeconds)` signed by the session key (see `usageTypes`). */
export interface UsageReceiptMessage {
  type: "usage_receipt";
  sessionId: string;
  elapsedSeconds: number;
  signature: Hex;
}

/** Gateway → client: the receipt is stored durably; the gateway settles with it (or a later one). */
export interface ReceiptAcceptedMessage {
  type: "receipt_accepted";
  sessionId: string;
  elapsedSeconds: number;
}

/** Client → gateway: I am done; settle now. */
export interface EndSessionMessage {
  type: "end_session";
}

export interface SessionEndedMessage {
  type: "session_ended";
  sessionId: string;
  reason: SessionEndReason;
  /** The seconds of the receipt the gateway settles with. */
  elapsedSeconds: number;
  /** Wei paid to the provider by the settlement. */
  charged: string;
  /** Wei refunded to the user by the settlement. */
  refund: string;
}

export interface ErrorMessage {
  type: "error";
  code: Ws402ErrorCode;
  reason: string;
}

export type ServerMessage =
  | ChallengeMessage
  | SessionStartedMessage
  | HttpAccessGrantedMessage
  | UsageUpdateMessage
  | ReceiptAcceptedMessage
  | SessionEndedMessage
  | ErrorMessage;

export type ClientMessage = PaymentProofMessage | UsageReceiptMessage | EndSessionMessage;

export const SESSION_END_REASONS = {
  clientClosed: "client_closed",
  depositExhausted: "deposit_exhausted",
  disconnected: "disconnected",
  closeRequested: "close_requested",
  gatewayShutdown: "gateway_shutdown",
} as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[keyof typeof SESSION_END_REASONS];

/** Codes of `error` messages. Errors about one message leave the connection open; see WS402_CLOSE_CODES. */
export const WS402_ERRORS = {
  malformedJson: "malformed_json",
  invalidMessage: "invalid_message",
  unknownType: "unknown_type",
  messageTooLarge: "message_too_large",
  unknownResource: "unknown_resource",
  proofRequired: "proof_required",
  proofTimeout: "proof_timeout",
  alreadyProven: "already_proven",
  invalidProof: "invalid_proof",
  sessionNotFound: "session_not_found",
  sessionNotOpen: "session_not_open",
  sessionWrongResource: "session_wrong_resource",
  sessionClosing: "session_closing",
  sessionEnded: "session_ended",
  wrongSession: "wrong_session",
  invalidReceiptSignature: "invalid_receipt_signature",
  receiptBackwards: "receipt_backwards",
  receiptAhead: "receipt_ahead",
  heartbeatTimeout: "heartbeat_timeout",
  tooManyErrors: "too_many_errors",
  chainUnavailable: "chain_unavailable",
  internalError: "internal_error",
} as const;
export type Ws402ErrorCode = (typeof WS402_ERRORS)[keyof typeof WS402_ERRORS];

/**
 * WebSocket close codes. A client closing with NORMAL ends its session at once; any other close (a drop, a tab
 * closed, SUSPEND) keeps the session for the reconnect grace period before it is settled.
 */
export const WS402_CLOSE_CODES = {
  normal: 1000,
  protocolError: 1008,
  messageTooBig: 1009,
  gatewayRestart: 1012,
  /** Client: disconnecting without ending the session (it may resume within the reconnect grace). */
  suspend: 4000,
  heartbeatTimeout: 4001,
  takenOver: 4002,
  sessionEnded: 4003,
  proofFailed: 4004,
} as const;

// ---------------------------------------------------------------------------------------------------------------------
// Payment proof
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Domain of the payment proof. Bound to the chain and the WS402Deposits contract like the `Usage` receipts, but
 * under its own name: the proof is checked by gateways only, and no contract can mistake it for a receipt.
 */
export const WS402_GATEWAY_DOMAIN_NAME = "Web3Torrent WS402 Gateway";
export const WS402_GATEWAY_DOMAIN_VERSION = "1";

export const ws402GatewayDomain = (chainId: number | bigint, deposits: Address): TypedDataDomain => ({
  name: WS402_GATEWAY_DOMAIN_NAME,
  version: WS402_GATEWAY_DOMAIN_VERSION,
  chainId: Number(chainId),
  verifyingContract: deposits,
});

/**
 * Signed by the session key to claim a session on one connection. The challenge is fresh per connection and the
 * message names the resource and the provider, so a proof cannot be replayed on another connection, resource,
 * gateway, contract or chain.
 */
export const paymentProofTypes = {
  PaymentProof: [
    { name: "sessionId", type: "uint256" },
    { name: "resourceId", type: "uint256" },
    { name: "provider", type: "address" },
    { name: "challenge", type: "bytes32" },
  ],
} as const;

export interface PaymentProof {
  sessionId: bigint;
  resourceId: bigint;
  provider: Address;
  challenge: Hex;
}
