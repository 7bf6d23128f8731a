import type { Ws402ErrorCode } from "./protocol.ts";

/** Codes the client gives its own failures (the gateway's come as Ws402ErrorCode in its `error` messages). */
export const WS402_CLIENT_ERRORS = {
  // The gateway, its schema and its messages
  gatewayUnreachable: "gateway_unreachable",
  schemaUnavailable: "schema_unavailable",
  invalidSchema: "invalid_schema",
  gatewayMismatch: "gateway_mismatch",
  malformedMessage: "malformed_message",
  unknownMessage: "unknown_message",
  // The connection and the session
  noWebSocket: "no_websocket",
  missingOption: "missing_option",
  notConnected: "not_connected",
  superseded: "superseded",
  disconnected: "disconnected",
  sessionEnded: "session_ended",
  signingFailed: "signing_failed",
  // The deposit on-chain
  wrongChain: "wrong_chain",
  unknownContract: "unknown_contract",
  invalidMaxSeconds: "invalid_max_seconds",
  priceChanged: "price_changed",
  openFailed: "open_failed",
  settlementTimeout: "settlement_timeout",
  requestCloseFailed: "request_close_failed",
  reclaimFailed: "reclaim_failed",
  // Paying through x402
  x402Version: "x402_version",
  x402Requirements: "x402_requirements",
  x402SpendCap: "x402_spend_cap",
  x402SettlementTimeout: "x402_settlement_timeout",
} as const;
export type Ws402ClientErrorCode = (typeof WS402_CLIENT_ERRORS)[keyof typeof WS402_CLIENT_ERRORS];

/** Every failure of the WS402 client, with a machine-readable code (a gateway error code or a client-side one). */
export class Ws402Error extends Error {
  override name = "Ws402Error";
  readonly code: Ws402ErrorCode | Ws402ClientErrorCode;

  constructor(code: Ws402ErrorCode | Ws402ClientErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
