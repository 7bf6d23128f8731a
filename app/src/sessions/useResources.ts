/** The WS402 resources registered on-chain: price per second, provider, metadata (name, kind of view). */
import { useQuery } from "@tanstack/react-query";
import { ws402DepositsAbi } from "@web3torrent/sdk/generated/contracts";
import type { Address } from "viem";
import { parseMetadata } from "../data/parseMetadata.ts";
import { useMarketClients } from "../data/useMarketSource.ts";

export interface ResourceRecord {
  resourceId: bigint;
  provider: Address;
  payout: Address;
  pricePerSecond: bigint;
  metadataURI: string;
  name: string;
  description: string;
}

export function useResources() {
  const { config, client } = useMarketClients();
  return useQuery({
    queryKey: ["ws402Resources", config.chainId],
    refetchInterval: 5_000,
    queryFn: async (): Promise<ResourceRecord[]> => {
      const address = config.contracts.WS402Deposits;
      const count = await client.readContract({ address, abi: ws402DepositsAbi, functionName: "resourceCount" });
      const ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1));
      return Promise.all(
        ids.map(async (resourceId) => {
          const r = await client.readContract({ address, abi: ws402DepositsAbi, functionName: "resource", args: [resourceId] });
          const meta = parseMetadata(r.metadataURI, `Resource #${resourceId}`);
          return {
            resourceId,
            provider: r.provider,
            payout: r.payout,
            pricePerSecond: r.pricePerSecond,
            metadataURI: r.metadataURI,
            name: meta.name,
            description: meta.description,
          };
        }),
      );
    },
  });
}
