/** The connected account's licenses, and what it paid for them (the cost basis of its ROI). */
import { useQuery } from "@tanstack/react-query";
import type { Address } from "viem";
import { readLicenses, readPurchases } from "./chainSource.ts";
import { graphLicenses, graphPurchases } from "./graphSource.ts";
import { fromSource, useMarketClients } from "./useMarketSource.ts";
import { useContents } from "./useContents.ts";

export function useLicenses(account: Address | undefined) {
  const { config, client } = useMarketClients();
  const contents = useContents();
  const ids = contents.data?.contents.map((c) => c.contentId) ?? [];
  return useQuery({
    queryKey: ["licenses", config.chainId, config.graphqlUrl, account, ids.length],
    enabled: !!account && contents.isSuccess,
    queryFn: async () =>
      (
        await fromSource(
          config,
          (url) => graphLicenses(url, account!),
          () => readLicenses(client, config, account!, ids),
        )
      ).value,
    refetchInterval: 5_000,
  });
}

export function usePurchases(account: Address | undefined) {
  const { config, client } = useMarketClients();
  return useQuery({
    queryKey: ["purchases", config.chainId, config.graphqlUrl, account],
    enabled: !!account,
    queryFn: async () =>
      (
        await fromSource(
          config,
          (url) => graphPurchases(url, account!),
          () => readPurchases(client, config, account!),
        )
      ).value,
  });
}
