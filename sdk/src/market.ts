/**
 * The LicenseMarket calls a publisher and a buyer make, with viem (browser and Node): register a content, buy a
 * license at the quoted price (the quote is the slippage limit).
 */
import { parseEventLogs, type Account, type Address, type Hex, type PublicClient, type WalletClient } from "viem";
import { licenseMarketAbi } from "./generated/contracts.ts";
import { CurveKind } from "./bondingCurve.ts";

export interface ContentRegistration {
  infohash: Hex;
  size: bigint;
  payout: Address;
  basePrice: bigint;
  curve?: CurveKind;
  /** Linear: wei per license. Exponential: basis points per license. */
  growth?: bigint;
  maxSupply?: bigint;
  bountyFeeBps?: number;
  transferable?: boolean;
  metadataURI?: string;
}

/** Registers a content from `account`; returns its id. */
export async function registerContent(
  publicClient: PublicClient,
  walletClient: WalletClient,
  account: Account | Address,
  market: Address,
  c: ContentRegistration,
): Promise<bigint> {
  const { request } = await publicClient.simulateContract({
    account,
    address: market,
    abi: licenseMarketAbi,
    functionName: "registerContent",
    args: [
      {
        infohash: c.infohash,
        size: c.size,
        payout: c.payout,
        basePrice: c.basePrice,
        curve: c.curve ?? CurveKind.Linear,
        growth: c.growth ?? 0n,
        maxSupply: c.maxSupply ?? 0n,
        bountyFeeBps: c.bountyFeeBps ?? 0,
        transferable: c.transferable ?? false,
        metadataURI: c.metadataURI ?? "",
      },
    ],
  });
  const hash = await walletClient.writeContract(request as never);
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const [registered] = parseEventLogs({ abi: licenseMarketAbi, eventName: "ContentRegistered", logs: receipt.logs });
  return registered.args.contentId;
}

/** Buys `quantity` licenses for `recipient` (default: the buyer) at the current quote; returns the total paid. */
export async function buyLicense(
  publicClient: PublicClient,
  walletClient: WalletClient,
  account: Account | Address,
  market: Address,
  contentId: bigint,
  recipient?: Address,
  quantity = 1n,
): Promise<bigint> {
  const [, , , total] = await publicClient.readContract({
    address: market,
    abi: licenseMarketAbi,
    functionName: "quote",
    args: [contentId, quantity],
  });
  const buyer = typeof account === "string" ? account : account.address;
  const { request } = await publicClient.simulateContract({
    account,
    address: market,
    abi: licenseMarketAbi,
    functionName: "buy",
    args: [contentId, quantity, recipient ?? buyer, total],
    value: total,
  });
  const hash = await walletClient.writeContract(request as never);
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`buying a license failed (transaction ${hash})`);
  return total;
}
