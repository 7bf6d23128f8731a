/**
 * WS402 as an x402 (version 2) payment scheme: the wire format both sides share. The gateway announces the scheme in
 * the `PAYMENT-REQUIRED` header of its 402 answers; an x402 client pays with the sdk's scheme (x402Scheme.ts).
 *
 *   x402 client                                   gateway
 *   GET resource                          →
 *                                         ←       402, PAYMENT-REQUIRED {accepts: [{scheme: "ws402-session", ...}]}
 *   (the scheme) open(...) on WS402Deposits: one wallet transaction, a fresh session key
 *   (the scheme) WebSocket session: proof, then a Usage receipt every few seconds (protocol.ts)
 *   GET resource, PAYMENT-SIGNATURE {payload: X402Access signed by the session key}  →
 *                                         ←       200 + the resource, PAYMENT-RESPONSE {state: "metering"}
 *   (the scheme) end(): end_session; the gateway settles, the rest of the deposit is refunded
 *   GET settlement/:sessionId             ←       PAYMENT-RESPONSE {transaction: settle tx, amount: paid}
 *
 * Paying is the deposit and the receipts; the `PAYMENT-SIGNATURE` only proves that the holder of a live session's
 * key asks for this resource now: it names the session, resource, provider, contract and chain, carries a nonce the
 * gateway accepts once and expires at `validBefore`.
 */
import type { Address, Hex } from "viem";

/** The scheme's name in x402 `accepts`. */
export const WS402_X402_SCHEME = "ws402-session";

/** x402 protocol version spoken. */
export const X402_VERSION = 2;

/** Native ETH as an ERC-20-style asset id (the EIP-7528 convention): WS402 deposits are paid in ETH. */
export const X402_NATIVE_ASSET: Address = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE";

/** A payment signature may not be valid for longer than this (it bounds the nonces a gateway remembers). */
export const X402_MAX_VALIDITY_SECONDS = 600;

/** x402's headers (HTTP header names are case-insensitive). */
export const X402_HEADERS = {
  paymentRequired: "PAYMENT-REQUIRED",
  paymentSignature: "PAYMENT-SIGNATURE",
  paymentResponse: "PAYMENT-RESPONSE",
} as const;

/** CAIP-2 id of an EVM chain. */
export const caip2 = (chainId: number): `eip155:${number}` => `eip155:${chainId}`;

/** `extra` of the WS402 entry in `accepts`: what a client needs to open and meter a session. */
export interface Ws402X402Extra {
  /** x402's payment flow: a deposit that is refunded in part. */
  paymentFlow: "escrow";
  protocol: "ws402";
  version: number;
  pricePerSecond: string;
  /** The seconds the suggested deposit (`amount`) pays for. */
  estimatedSeconds: number;
  contract: Address;
  /** The resource's id in WS402Deposits. */
  resourceId: string;
  provider: Address;
  websocketEndpoint: string;
  schemaUrl: string;
  /** GET `${settlementUrl}/${sessionId}` answers with the settlement in `PAYMENT-RESPONSE`. */
  settlementUrl: string;
}

/** `payload` of the PAYMENT-SIGNATURE: an `X402Access` signed by the session key. */
export interface Ws402X402Payload {
  sessionId: string;
  /** 32 random bytes: the gateway accepts a payment signature once. */
  nonce: Hex;
  /** Unix seconds after which the signature is refused (at most X402_MAX_VALIDITY_SECONDS ahead). */
  validBefore: number;
  signature: Hex;
}

/** `extra` of the PAYMENT-RESPONSE. */
export interface Ws402X402ResponseExtra {
  sessionId: string;
  /** metering: the resource is served while the session is live; settled, reclaimed or failed: final. */
  state: "metering" | "settling" | "settled" | "reclaimed" | "failed";
  elapsedSeconds?: number;
  /** Wei refunded to the user by the settlement. */
  refunded?: string;
  settlementUrl: string;
}

/**
 * Signed by the session key in the gateway's domain (protocol.ts `ws402GatewayDomain`): no contract reads it, and it
 * cannot be mistaken for a `Usage` receipt or a `PaymentProof`.
 */
export const x402AccessTypes = {
  X402Access: [
    { name: "sessionId", type: "uint256" },
    { name: "resourceId", type: "uint256" },
    { name: "provider", type: "address" },
    { name: "nonce", type: "bytes32" },
    { name: "validBefore", type: "uint64" },
  ],
} as const;

export interface X402Access {
  sessionId: bigint;
  resourceId: bigint;
  provider: Address;
  nonce: Hex;
  validBefore: bigint;
}

/** Codes of the 402 answers to a bad PAYMENT-SIGNATURE (in the JSON body and in PAYMENT-REQUIRED's `error`). */
export const X402_ERRORS = {
  malformed: "payment_signature_malformed",
  unsupported: "payment_signature_unsupported",
  expired: "payment_signature_expired",
  invalid: "payment_signature_invalid",
  replayed: "payment_signature_replayed",
  sessionNotLive: "payment_session_not_live",
} as const;
export type X402ErrorCode = (typeof X402_ERRORS)[keyof typeof X402_ERRORS];
