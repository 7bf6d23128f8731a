/** One content read from the chain at every block: the numbers a purchase is priced with. */
import { useQuery } from "@tanstack/react-query";
import { readContent, readNetworkFeeBps } from "./chainSource.ts";
import { useMarketClients } from "./useMarketSource.ts";

export function useLiveContent(contentId: bigint) {
  const { config, client } = useMarketClients();
  return useQuery({
    queryKey: ["liveContent", config.chainId, contentId.toString()],
    queryFn: async () => {
      const [content, networkFeeBps] = await Promise.all([readContent(client, config, contentId), readNetworkFeeBps(client, config)]);
      return { content, networkFeeBps };
    },
    refetchInterval: 1_000,
  });
}
