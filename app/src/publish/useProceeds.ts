/** A publisher's sales proceeds (LicenseMarket.proceeds) and their withdrawal. */
import { useQuery } from "@tanstack/react-query";
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import type { Address } from "viem";
import { useMarketClients } from "../data/useMarketSource.ts";
import { useContractTransaction } from "../tx/useContractTransaction.ts";

export function useProceeds(account: Address | undefined) {
  const { config, client } = useMarketClients();
  const tx = useContractTransaction();
  const balance = useQuery({
    queryKey: ["proceeds", config.chainId, account],
    enabled: !!account,
    refetchInterval: 4_000,
    queryFn: () =>
      client.readContract({ address: config.contracts.LicenseMarket, abi: licenseMarketAbi, functionName: "proceeds", args: [account!] }),
  });
  return {
    balance: balance.data,
    tx,
    withdraw: () => tx.send({ address: config.contracts.LicenseMarket, abi: licenseMarketAbi, functionName: "withdrawProceeds", args: [] }),
  };
}
