/** `LicenseMarket.buy` with a slippage limit: sends `maxTotal` (the contract refunds what the price did not use). */
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import { parseEventLogs, type Address } from "viem";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { useContractTransaction } from "../tx/useContractTransaction.ts";

export interface BuyResult {
  quantity: bigint;
  total: bigint;
  newSupply: bigint;
}

export function useBuyLicense() {
  const config = useAppConfig();
  const tx = useContractTransaction();
  async function buy(contentId: bigint, quantity: bigint, recipient: Address, maxTotal: bigint): Promise<BuyResult | undefined> {
    const receipt = await tx.send({
      address: config.contracts.LicenseMarket,
      abi: licenseMarketAbi,
      functionName: "buy",
      args: [contentId, quantity, recipient, maxTotal],
      value: maxTotal,
    });
    if (!receipt) return undefined;
    const [event] = parseEventLogs({ abi: licenseMarketAbi, eventName: "LicensesPurchased", logs: receipt.logs });
    const { curvePrice, networkFee, bountyFee, newSupply } = event.args;
    return { quantity, total: curvePrice + networkFee + bountyFee, newSupply };
  }
  return { ...tx, buy };
}
