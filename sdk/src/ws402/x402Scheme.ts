/**
 * WS402 as a client scheme of x402 (`@x402/core`'s `x402Client`), so that an x402 program pays for a time-metered
 * resource without knowing WS402:
 *
 *   const ws402 = new Ws402X402Scheme({ walletClient, publicClient });
 *   const client = new x402Client().register("eip155:*", ws402);
 *   client.setSpendControls({ allowedAssets: [{ network: "eip155:*", asset: X402_NATIVE_ASSET, maxAmountPerPayment: "1000000000000000" }] });
 *   const response = await wrapFetchWithPayment(fetch, client)(url);   // opens, connects, pays the first request
 *   ... read the response (the session is metered meanwhile) ...
 *   const [settlement] = await ws402.end();                            // settled; the rest of the deposit refunded
 *
 * On a 402 the scheme opens a deposit (one transaction through the caller's wallet client, with a fresh session
 * key), meters the session on the gateway's WebSocket with the sdk's WS402 client (receipts signed by the session
 * key, bounded by its own clock), and answers with an `X402Access` signed by the session key. The session stays
 * metered — a stream keeps flowing — until `end()`, which ends it, waits for the gateway's settlement and returns it
 * as x402's `SettleResponse` (read from the gateway's `PAYMENT-RESPONSE`). Later requests for the same resource reuse
 * the live session: one wallet transaction per session, not per request.
 *
 * Spend control: x402's client refuses assets it does not know unless listed in `allowedAssets`; an entry's
 * `maxAmountPerPayment` (wei) caps the deposit: x402 refuses an offer whose suggested deposit is higher, and a
 * larger `maxSeconds` option is cut here to what the cap buys.
 */
import { decodePaymentResponseHeader } from "@x402/core/http";
import type {
  PaymentPayloadContext,
  PaymentPayloadResult,
  PaymentRequirements,
  SchemeNetworkClient,
  SettleResponse,
} from "@x402/core/types";
import { isAddressEqual, toHex, type Address, type PublicClient } from "viem";
import { Ws402Client } from "./client.ts";
import type { Ws402WalletClient } from "./deposit.ts";
import { Ws402Error } from "./errors.ts";
import { ws402GatewayDomain, type Ws402SchemaDocument } from "./protocol.ts";
import { fetchWs402Schema } from "./schema.ts";
import {
  WS402_X402_SCHEME,
  X402_HEADERS,
  X402_MAX_VALIDITY_SECONDS,
  X402_NATIVE_ASSET,
  X402_VERSION,
  caip2,
  x402AccessTypes,
  type Ws402X402Extra,
  type Ws402X402Payload,
} from "./x402.ts";

type WebSocketConstructor = new (url: string) => WebSocket;

export interface Ws402X402SchemeOptions {
  /** The caller's wallet: it signs the one `open` transaction of each session. */
  walletClient: Ws402WalletClient;
  publicClient: PublicClient;
  /** The WS402Deposits contract to pay into; defaults to the sdk's deployment for the chain. A gateway naming another is refused. */
  deposits?: Address;
  /** Seconds a session pays for at most; defaults to the gateway's estimate (x402's `amount`). */
  maxSeconds?: number;
  /** Defaults to the global WebSocket (browsers, Node 22). */
  WebSocket?: WebSocketConstructor;
  fetch?: typeof fetch;
  /** How long end() waits for each settlement (default 120 s). */
  settlementTimeoutMs?: number;
}

interface OpenSession {
  client: Ws402Client;
  settlementUrl: string;
}

const MS_PER_SECOND = 1_000;
const NONCE_BYTES = 32;
const DEFAULT_SETTLEMENT_TIMEOUT_MS = 120_000;
const SETTLEMENT_POLL_MS = 250;
const HTTP_OK = 200;

export class Ws402X402Scheme implements SchemeNetworkClient {
  readonly scheme = WS402_X402_SCHEME;
  readonly #options: Ws402X402SchemeOptions;
  /** Sessions by chain, contract and on-chain resource: a live one pays later requests for the same resource. */
  readonly #sessions = new Map<string, OpenSession>();

  constructor(options: Ws402X402SchemeOptions) {
    this.#options = options;
  }

  /** The WS402 clients of the sessions this scheme opened and has not ended. */
  get sessions(): Ws402Client[] {
    return [...this.#sessions.values()].map((s) => s.client);
  }

  async createPaymentPayload(
    x402Version: number,
    requirements: PaymentRequirements,
    context?: PaymentPayloadContext,
  ): Promise<PaymentPayloadResult> {
    if (x402Version !== X402_VERSION)
      throw new Ws402Error("x402_version", `The ${WS402_X402_SCHEME} scheme speaks x402 version ${X402_VERSION}, not ${x402Version}.`);
    const extra = requirements.extra as Partial<Ws402X402Extra> | undefined;
    if (extra?.protocol !== "ws402" || typeof extra.schemaUrl !== "string" || typeof extra.settlementUrl !== "string") {
      throw new Ws402Error("x402_requirements", "The payment requirements lack the WS402 terms (extra.schemaUrl, extra.settlementUrl).");
    }
    if (requirements.asset.toLowerCase() !== X402_NATIVE_ASSET.toLowerCase()) {
      throw new Ws402Error("x402_requirements", `WS402 deposits are paid in native ETH (${X402_NATIVE_ASSET}), not ${requirements.asset}.`);
    }
    const schema = await fetchWs402Schema(extra.schemaUrl, this.#options.fetch);
    // The schema is what the deposit and the session follow: the offer must name the same terms.
    if (
      caip2(schema.contract.chainId) !== requirements.network ||
      !isAddressEqual(schema.contract.address, extra.contract ?? "0x") ||
      schema.contract.resourceId !== extra.resourceId ||
      !isAddressEqual(schema.provider, extra.provider ?? "0x")
    ) {
      throw new Ws402Error(
        "x402_requirements",
        "The payment requirements and the WS402 schema name different chains, contracts, resources or providers.",
      );
    }
    const key = `${schema.contract.chainId}:${schema.contract.address.toLowerCase()}:${schema.contract.resourceId}`;
    let session = this.#sessions.get(key);
    if (session?.client.ended) {
      this.#sessions.delete(key);
      session = undefined;
    }
    if (!session) {
      const client = await Ws402Client.open({
        schema,
        walletClient: this.#options.walletClient,
        publicClient: this.#options.publicClient,
        maxSeconds: this.#maxSeconds(schema, context?.maxAmountPerPayment),
        deposits: this.#options.deposits,
        WebSocket: this.#options.WebSocket,
      });
      session = { client, settlementUrl: extra.settlementUrl };
      this.#sessions.set(key, session);
    }
    await session.client.connect();
    const payload = await this.#sign(session.client, requirements);
    return { x402Version: X402_VERSION, payload: { ...payload } };
  }

  /**
   * Ends every session this scheme opened: each is settled by its gateway (paid for the seconds used, the rest
   * refunded). Resolves with the settlements as the gateways reported them in PAYMENT-RESPONSE.
   */
  async end(): Promise<SettleResponse[]> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    return Promise.all(
      sessions.map(async ({ client, settlementUrl }) => {
        // A session no longer connected is settled by its gateway after the reconnect grace.
        if (client.state === "live") await client.close();
        return this.#settlement(`${settlementUrl}/${client.sessionId}`);
      }),
    );
  }

  /** The seconds to pay for: the option or the gateway's estimate, within x402's spend cap. */
  #maxSeconds(schema: Ws402SchemaDocument, cap: string | undefined): number {
    const wanted = this.#options.maxSeconds ?? schema.pricing.estimatedSeconds;
    if (cap === undefined) return wanted;
    const affordable = BigInt(cap) / BigInt(schema.pricing.pricePerSecond);
    if (affordable < 1n)
      throw new Ws402Error(
        "x402_spend_cap",
        `The spend cap of ${cap} wei does not buy one second at ${schema.pricing.pricePerSecond} wei.`,
      );
    return affordable < BigInt(wanted) ? Number(affordable) : wanted;
  }

  async #sign(client: Ws402Client, requirements: PaymentRequirements): Promise<Ws402X402Payload> {
    const { contract, provider } = client.schema;
    const nonce = toHex(crypto.getRandomValues(new Uint8Array(NONCE_BYTES)));
    const validFor = Math.min(requirements.maxTimeoutSeconds, X402_MAX_VALIDITY_SECONDS);
    const validBefore = Math.floor(Date.now() / MS_PER_SECOND) + validFor;
    const signature = await client.signer.signTypedData({
      domain: ws402GatewayDomain(contract.chainId, contract.address),
      types: x402AccessTypes,
      primaryType: "X402Access",
      message: { sessionId: client.sessionId, resourceId: BigInt(contract.resourceId), provider, nonce, validBefore: BigInt(validBefore) },
    });
    return { sessionId: client.sessionId.toString(), nonce, validBefore, signature };
  }

  async #settlement(url: string): Promise<SettleResponse> {
    const fetchImpl = this.#options.fetch ?? fetch;
    const deadline = Date.now() + (this.#options.settlementTimeoutMs ?? DEFAULT_SETTLEMENT_TIMEOUT_MS);
    for (;;) {
      const response = await fetchImpl(url).catch(() => undefined);
      const header = response?.headers.get(X402_HEADERS.paymentResponse);
      if (response?.status === HTTP_OK && header) return decodePaymentResponseHeader(header);
      if (Date.now() > deadline) throw new Ws402Error("x402_settlement_timeout", `No settlement reported at ${url} in time.`);
      await new Promise((resolve) => setTimeout(resolve, SETTLEMENT_POLL_MS));
    }
  }
}
