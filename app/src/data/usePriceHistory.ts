/** A content's price after each purchase, for its chart. */
import { useQuery } from "@tanstack/react-query";
import { readPriceHistory } from "./chainSource.ts";
import { graphPriceHistory } from "./graphSource.ts";
import { fromSource, useMarketClients } from "./useMarketSource.ts";

export function usePriceHistory(contentId: bigint) {
  const { config, client } = useMarketClients();
  return useQuery({
    queryKey: ["priceHistory", config.chainId, config.graphqlUrl, contentId.toString()],
    queryFn: async () =>
      (
        await fromSource(
          config,
          (url) => graphPriceHistory(url, contentId),
          () => readPriceHistory(client, config, contentId),
        )
      ).value,
    refetchInterval: 5_000,
  });
}
