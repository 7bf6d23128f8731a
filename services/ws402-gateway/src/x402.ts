/**
 * The gateway's x402 (version 2) face: every 402 also carries a `PAYMENT-REQUIRED` header offering the WS402 session
 * scheme, a request with a `PAYMENT-SIGNATURE` for a live session is served like one with its token, and the
 * settlement of a session is reported in a `PAYMENT-RESPONSE` header (sdk/src/ws402/x402.ts describes the flow).
 *
 * A payment signature is an `X402Access` signed by the session key of a session that is live on this gateway (metered
 * on its WebSocket): it grants access to the session's resource, once — its nonce is remembered until it expires, and
 * it expires at most X402_MAX_VALIDITY_SECONDS after it was made. The time served is paid by the session's receipts,
 * not by the signature.
 */
import { decodePaymentSignatureHeader, encodePaymentRequiredHeader, encodePaymentResponseHeader } from "@x402/core/http";
import { PaymentPayloadV2Schema } from "@x402/core/schemas";
import type { PaymentRequired, PaymentRequirements, SettleResponse } from "@x402/core/types";
import { hashTypedData, isAddressEqual, type Address, type Hex } from "viem";
import { z } from "zod";
import { ws402GatewayDomain, type Ws402SchemaDocument } from "@web3torrent/sdk/ws402/protocol";
import {
  WS402_X402_SCHEME,
  X402_ERRORS,
  X402_MAX_VALIDITY_SECONDS,
  X402_NATIVE_ASSET,
  X402_VERSION,
  caip2,
  x402AccessTypes,
  type Ws402X402Extra,
  type Ws402X402ResponseExtra,
  type X402ErrorCode,
} from "@web3torrent/sdk/ws402/x402";
import { recoverSigner } from "./signatures.ts";
import type { Store } from "./store.ts";
import type { TokenHolder } from "./tokens.ts";

/** Longest PAYMENT-SIGNATURE header read: a valid one is about 2 KiB. */
const MAX_HEADER_LENGTH = 16 * 1024;
/** Expired nonces are forgotten at most this often. */
const NONCE_SWEEP_INTERVAL_MS = 10_000;
/** How long an x402 client has to open its deposit and connect before its payment signature must be made. */
const MAX_TIMEOUT_SECONDS = 300;
const MS_PER_SECOND = 1_000;

export const SETTLEMENT_PATH = "/api/x402/settlement";

const payloadSchema = z.object({
  sessionId: z.string().regex(/^\d{1,78}$/),
  nonce: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  validBefore: z.number().int().positive(),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/),
});

/** A session the gateway holds, as the x402 check needs it. */
export type X402Session = TokenHolder & { readonly sessionKey: Address };

/** The resource a request asks for. */
export interface X402Resource {
  id: string;
  schema: Ws402SchemaDocument;
  schemaUrl: string;
}

export type X402Check = { ok: true; holder: X402Session; paymentResponse: string } | { ok: false; code: X402ErrorCode; reason: string };

export interface X402Deps {
  baseUrl: string;
  chainId: number;
  contract: Address;
  provider: Address;
  /** Where the provider is paid (x402's `payTo`). */
  payout: Address;
  /** The session with this id while the gateway holds it. */
  session(sessionId: bigint): X402Session | undefined;
  store: Store;
}

export class X402Gateway {
  readonly #deps: X402Deps;
  readonly #network: `eip155:${number}`;
  readonly #settlementUrl: string;
  /** Nonces of accepted payment signatures, with their expiry (ms). */
  readonly #nonces = new Map<string, number>();
  #lastSweep = 0;

  constructor(deps: X402Deps) {
    this.#deps = deps;
    this.#network = caip2(deps.chainId);
    this.#settlementUrl = `${deps.baseUrl}${SETTLEMENT_PATH}`;
  }

  /** The WS402 entry of `accepts` for a resource. */
  requirements(resource: X402Resource): PaymentRequirements {
    const { schema } = resource;
    const extra: Ws402X402Extra = {
      paymentFlow: "escrow",
      protocol: "ws402",
      version: schema.version,
      pricePerSecond: schema.pricing.pricePerSecond,
      estimatedSeconds: schema.pricing.estimatedSeconds,
      contract: schema.contract.address,
      resourceId: schema.contract.resourceId,
      provider: schema.provider,
      websocketEndpoint: schema.websocketEndpoint,
      schemaUrl: resource.schemaUrl,
      settlementUrl: this.#settlementUrl,
    };
    return {
      scheme: WS402_X402_SCHEME,
      network: this.#network,
      amount: schema.pricing.totalPrice,
      asset: X402_NATIVE_ASSET,
      payTo: this.#deps.payout,
      maxTimeoutSeconds: MAX_TIMEOUT_SECONDS,
      extra: { ...extra },
    };
  }

  /** The PAYMENT-REQUIRED header value of a 402 answer for `resource`. */
  paymentRequiredHeader(resource: X402Resource, error: { code: string; reason: string }): string {
    const { schema } = resource;
    const paymentRequired: PaymentRequired = {
      x402Version: X402_VERSION,
      error: `${error.code}: ${error.reason}`,
      resource: { url: schema.resource.url, description: schema.resource.title, mimeType: schema.resource.mimeType },
      accepts: [this.requirements(resource)],
    };
    return encodePaymentRequiredHeader(paymentRequired);
  }

  /** Checks a PAYMENT-SIGNATURE header for `resource`; on success the nonce is used up. */
  check(header: string, resource: X402Resource, now = Date.now()): X402Check {
    const refuse = (code: X402ErrorCode, reason: string): X402Check => ({ ok: false, code, reason });
    if (header.length > MAX_HEADER_LENGTH) return refuse(X402_ERRORS.malformed, "The PAYMENT-SIGNATURE header is too long.");
    let decoded: unknown;
    try {
      decoded = decodePaymentSignatureHeader(header);
    } catch {
      return refuse(X402_ERRORS.malformed, "The PAYMENT-SIGNATURE header is not base64-encoded JSON.");
    }
    const parsedPayload = PaymentPayloadV2Schema.safeParse(decoded);
    if (!parsedPayload.success)
      return refuse(X402_ERRORS.malformed, "The PAYMENT-SIGNATURE header is not an x402 version 2 payment payload.");
    const { accepted, payload } = parsedPayload.data;
    if (accepted.scheme !== WS402_X402_SCHEME || accepted.network !== this.#network) {
      return refuse(X402_ERRORS.unsupported, `This gateway accepts the ${WS402_X402_SCHEME} scheme on ${this.#network} only.`);
    }
    const parsed = payloadSchema.safeParse(payload);
    if (!parsed.success) return refuse(X402_ERRORS.malformed, "The payload needs sessionId, nonce, validBefore and signature.");
    const { sessionId: id, nonce, validBefore, signature } = parsed.data;
    const nowSeconds = Math.floor(now / MS_PER_SECOND);
    if (validBefore <= nowSeconds) return refuse(X402_ERRORS.expired, "The payment signature has expired.");
    if (validBefore > nowSeconds + X402_MAX_VALIDITY_SECONDS) {
      return refuse(X402_ERRORS.invalid, `A payment signature may be valid for ${X402_MAX_VALIDITY_SECONDS} s at most.`);
    }
    const sessionId = BigInt(id);
    const holder = this.#deps.session(sessionId);
    if (!holder || holder.resourceId !== resource.id) {
      return refuse(
        X402_ERRORS.sessionNotLive,
        `Session ${sessionId} is not metered on this gateway for this resource: open it and connect its WebSocket first.`,
      );
    }
    const { chainId, contract, provider } = this.#deps;
    const digest = hashTypedData({
      domain: ws402GatewayDomain(chainId, contract),
      types: x402AccessTypes,
      primaryType: "X402Access",
      message: {
        sessionId,
        resourceId: BigInt(resource.schema.contract.resourceId),
        provider,
        nonce: nonce as Hex,
        validBefore: BigInt(validBefore),
      },
    });
    const signer = recoverSigner(digest, signature);
    if (!signer || !isAddressEqual(signer, holder.sessionKey)) {
      return refuse(X402_ERRORS.invalid, "The payment signature is not signed by this session's key for this resource.");
    }
    this.#sweep(now);
    const key = nonce.toLowerCase();
    if (this.#nonces.has(key)) return refuse(X402_ERRORS.replayed, "This payment signature was already used; sign a new one.");
    if (!holder.isLive()) {
      return refuse(
        X402_ERRORS.sessionNotLive,
        `Session ${sessionId} is not live: its WebSocket must be connected and its receipts on time.`,
      );
    }
    this.#nonces.set(key, validBefore * MS_PER_SECOND);
    return { ok: true, holder, paymentResponse: encodePaymentResponseHeader(this.#metering(sessionId)) };
  }

  /** GET SETTLEMENT_PATH/:sessionId: the settlement in PAYMENT-RESPONSE once it is final. */
  settlement(id: string): { status: number; body: unknown; headers: Record<string, string> } {
    const record = /^\d{1,78}$/.test(id) ? this.#deps.store.getSession(BigInt(id)) : undefined;
    if (!record)
      return { status: 404, body: { error: { code: "not_found", reason: `Session ${id.slice(0, 80)} is not known here.` } }, headers: {} };
    const extra: Ws402X402ResponseExtra = {
      sessionId: id,
      state: record.state === "open" ? "metering" : record.state,
      settlementUrl: this.#settlementUrl,
    };
    if (record.state === "open" || record.state === "settling")
      return { status: 202, body: { sessionId: id, state: extra.state }, headers: {} };
    const charged = Math.min(record.elapsedSeconds, record.maxSeconds);
    const settled = record.state === "settled";
    const paid = settled ? BigInt(charged) * record.pricePerSecond : 0n;
    const refunded = BigInt(record.maxSeconds) * record.pricePerSecond - paid;
    const response: SettleResponse = {
      success: settled,
      ...(settled ? {} : { errorReason: record.state, errorMessage: record.lastError ?? `The session was ${record.state}.` }),
      payer: record.user,
      transaction: record.txHash ?? "",
      network: this.#network,
      amount: paid.toString(),
      extra: { ...extra, elapsedSeconds: settled ? charged : 0, refunded: refunded.toString() },
    };
    return {
      status: 200,
      body: { sessionId: id, state: record.state, transaction: response.transaction, paid: response.amount, refunded: refunded.toString() },
      headers: { "payment-response": encodePaymentResponseHeader(response) },
    };
  }

  /** The PAYMENT-RESPONSE of a served request: the session pays as it is metered; it settles when it ends. */
  #metering(sessionId: bigint): SettleResponse {
    const record = this.#deps.store.getSession(sessionId);
    const extra: Ws402X402ResponseExtra = { sessionId: sessionId.toString(), state: "metering", settlementUrl: this.#settlementUrl };
    return { success: true, payer: record?.user, transaction: "", network: this.#network, extra: { ...extra } };
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < NONCE_SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    for (const [nonce, expiry] of this.#nonces) if (expiry <= now) this.#nonces.delete(nonce);
  }
}
