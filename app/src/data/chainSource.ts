/**
 * Reads contents, price history, licenses and purchases straight from the chain: the fallback when no GraphQL API
 * is configured, and the source of truth for anything about to be paid.
 */
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import type { Address, PublicClient } from "viem";
import type { AppConfig } from "../config/appConfig.ts";
import { parseMetadata } from "./parseMetadata.ts";
import type { ContentRecord, LicenseHolding, PricePoint, PurchaseRecord } from "./types.ts";

export async function readNetworkFeeBps(client: PublicClient, config: AppConfig): Promise<bigint> {
  const fee = await client.readContract({ address: config.contracts.LicenseMarket, abi: licenseMarketAbi, functionName: "networkFeeBps" });
  return BigInt(fee);
}

export async function readContent(client: PublicClient, config: AppConfig, contentId: bigint): Promise<ContentRecord> {
  const market = config.contracts.LicenseMarket;
  const [c, uri] = await Promise.all([
    client.readContract({ address: market, abi: licenseMarketAbi, functionName: "content", args: [contentId] }),
    client.readContract({ address: market, abi: licenseMarketAbi, functionName: "uri", args: [contentId] }),
  ]);
  return {
    contentId,
    infohash: c.infohash,
    size: c.size,
    payout: c.payout,
    basePrice: c.basePrice,
    curve: c.curve,
    growth: c.growth,
    maxSupply: c.maxSupply,
    bountyFeeBps: c.bountyFeeBps,
    transferable: c.transferable,
    supply: c.supply,
    metadataURI: uri,
    metadata: parseMetadata(uri, `Content #${contentId}`),
  };
}

export async function readContents(client: PublicClient, config: AppConfig): Promise<ContentRecord[]> {
  const count = await client.readContract({
    address: config.contracts.LicenseMarket,
    abi: licenseMarketAbi,
    functionName: "contentCount",
  });
  const ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1));
  return Promise.all(ids.map((id) => readContent(client, config, id)));
}

export async function readPriceHistory(client: PublicClient, config: AppConfig, contentId: bigint): Promise<PricePoint[]> {
  const logs = await client.getContractEvents({
    address: config.contracts.LicenseMarket,
    abi: licenseMarketAbi,
    eventName: "LicensesPurchased",
    args: { contentId },
    fromBlock: config.startBlock,
    toBlock: "latest",
  });
  return logs.map((log) => ({
    price: log.args.curvePrice! / log.args.quantity!,
    nextPrice: log.args.nextPrice!,
    supply: log.args.newSupply!,
    blockNumber: log.blockNumber,
    timestamp: null,
  }));
}

export async function readLicenses(
  client: PublicClient,
  config: AppConfig,
  account: Address,
  contentIds: bigint[],
): Promise<LicenseHolding[]> {
  if (contentIds.length === 0) return [];
  const balances = await client.readContract({
    address: config.contracts.LicenseMarket,
    abi: licenseMarketAbi,
    functionName: "balanceOfBatch",
    args: [contentIds.map(() => account), contentIds],
  });
  return contentIds.map((contentId, i) => ({ contentId, balance: balances[i] })).filter((holding) => holding.balance > 0n);
}

/** Purchases that minted licenses to `account` (gifts to it included), for the cost basis of its ROI. */
export async function readPurchases(client: PublicClient, config: AppConfig, account: Address): Promise<PurchaseRecord[]> {
  const logs = await client.getContractEvents({
    address: config.contracts.LicenseMarket,
    abi: licenseMarketAbi,
    eventName: "LicensesPurchased",
    args: { recipient: account },
    fromBlock: config.startBlock,
    toBlock: "latest",
  });
  return logs.map((log) => ({
    contentId: log.args.contentId!,
    quantity: log.args.quantity!,
    total: log.args.curvePrice! + log.args.networkFee! + log.args.bountyFee!,
    blockNumber: log.blockNumber,
  }));
}
