/**
 * Puts the configured resources on-chain: each is registered in WS402Deposits by the provider's key on first
 * start (its id kept in the store), and updated when its price, payout or schema URL changed.
 */
import { isAddressEqual, zeroAddress, type Address } from "viem";
import type { Chain } from "./chain.ts";
import { ConfigError, type ResourceConfig } from "./config.ts";
import type { Logger } from "./log.ts";
import type { Store } from "./store.ts";

export interface OnChainTerms {
  resourceId: bigint;
  pricePerSecond: bigint;
}

export async function registerResources(
  resources: ResourceConfig[],
  chain: Chain,
  store: Store,
  payout: Address,
  metadataUri: (id: string) => string,
  log: Logger,
): Promise<Map<string, OnChainTerms>> {
  const terms = new Map<string, OnChainTerms>();
  for (const resource of resources) {
    const uri = metadataUri(resource.id);
    let onChainId = resource.onChainId ?? store.getOnChainResourceId(resource.id, chain.chainId, chain.contract);
    if (onChainId !== undefined) {
      const current = await chain.readResource(onChainId);
      if (current.provider === zeroAddress) {
        if (resource.onChainId !== undefined) throw new ConfigError(`Resource ${resource.id}: on-chain id ${onChainId} is not registered`);
        // The store remembers a resource of an earlier chain (a local chain restarted): register it again.
        onChainId = undefined;
      } else if (!isAddressEqual(current.provider, chain.provider)) {
        throw new ConfigError(
          `Resource ${resource.id}: on-chain id ${onChainId} belongs to provider ${current.provider}, not to this gateway's key ${chain.provider}`,
        );
      } else if (
        current.pricePerSecond !== resource.pricePerSecond ||
        !isAddressEqual(current.payout, payout) ||
        current.metadataURI !== uri
      ) {
        await chain.updateResource(onChainId, resource.pricePerSecond, payout, uri);
        log.info("resource updated on-chain", { resource: resource.id, onChainId, pricePerSecond: resource.pricePerSecond });
      }
    }
    if (onChainId === undefined) {
      onChainId = await chain.registerResource(resource.pricePerSecond, payout, uri);
      log.info("resource registered on-chain", { resource: resource.id, onChainId, pricePerSecond: resource.pricePerSecond });
    }
    store.setOnChainResourceId(resource.id, chain.chainId, chain.contract, onChainId);
    terms.set(resource.id, { resourceId: onChainId, pricePerSecond: resource.pricePerSecond });
  }
  return terms;
}
