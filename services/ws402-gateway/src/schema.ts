/**
 * The WS402 schema document of a resource: where to connect, what it costs, and which contract and provider a
 * session must be opened with. Served at `GET /api/resource/:id/schema` and inside every 402 answer.
 */
import type { Address } from "viem";
import { WS402_PROTOCOL_VERSION, WS402_WEBSOCKET_PATH, type Ws402SchemaDocument } from "@web3torrent/sdk/ws402/protocol";
import type { GatewaySettings, ResourceConfig } from "./config.ts";

export interface SchemaContext {
  baseUrl: string;
  chainId: number;
  contract: Address;
  provider: Address;
  settings: Pick<
    GatewaySettings,
    "usageIntervalMs" | "heartbeatTimeoutMs" | "reconnectGraceMs" | "receiptToleranceSeconds" | "maxMessageBytes"
  >;
}

export const resourceUrl = (baseUrl: string, id: string) => `${baseUrl}/api/resource/${encodeURIComponent(id)}`;
export const schemaUrl = (baseUrl: string, id: string) => `${resourceUrl(baseUrl, id)}/schema`;

export function websocketEndpoint(baseUrl: string, id: string): string {
  const url = new URL(WS402_WEBSOCKET_PATH, baseUrl.replace(/^http/, "ws"));
  url.searchParams.set("resourceId", id);
  return url.toString();
}

export function buildSchema(
  resource: ResourceConfig,
  onChain: { resourceId: bigint; pricePerSecond: bigint },
  size: number,
  context: SchemaContext,
): Ws402SchemaDocument {
  const { settings } = context;
  return {
    protocol: "ws402",
    version: WS402_PROTOCOL_VERSION,
    resource: {
      id: resource.id,
      title: resource.title ?? resource.id,
      mimeType: resource.mimeType,
      size,
      url: resourceUrl(context.baseUrl, resource.id),
    },
    websocketEndpoint: websocketEndpoint(context.baseUrl, resource.id),
    pricing: {
      pricePerSecond: onChain.pricePerSecond.toString(),
      estimatedSeconds: resource.estimatedSeconds,
      totalPrice: (onChain.pricePerSecond * BigInt(resource.estimatedSeconds)).toString(),
      currency: "ETH",
    },
    contract: { chainId: context.chainId, address: context.contract, resourceId: onChain.resourceId.toString() },
    provider: context.provider,
    session: {
      usageIntervalMs: settings.usageIntervalMs,
      heartbeatTimeoutMs: settings.heartbeatTimeoutMs,
      reconnectGraceMs: settings.reconnectGraceMs,
      receiptToleranceSeconds: settings.receiptToleranceSeconds,
      maxMessageBytes: settings.maxMessageBytes,
    },
  };
}
