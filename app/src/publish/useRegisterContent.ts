/** `LicenseMarket.registerContent`, returning the new content id from the receipt. */
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import { parseEventLogs } from "viem";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { useContractTransaction } from "../tx/useContractTransaction.ts";
import type { ContentParams } from "./publishParams.ts";

export function useRegisterContent() {
  const config = useAppConfig();
  const tx = useContractTransaction();
  async function register(params: ContentParams): Promise<bigint | undefined> {
    const receipt = await tx.send({
      address: config.contracts.LicenseMarket,
      abi: licenseMarketAbi,
      functionName: "registerContent",
      args: [params],
    });
    if (!receipt) return undefined;
    const [event] = parseEventLogs({ abi: licenseMarketAbi, eventName: "ContentRegistered", logs: receipt.logs });
    return event.args.contentId;
  }
  return { ...tx, register };
}
