/** Every registered content with the market's network fee, refreshed every few seconds. */
import { useQuery } from "@tanstack/react-query";
import { readContents, readNetworkFeeBps } from "./chainSource.ts";
import { graphContents } from "./graphSource.ts";
import { fromSource, useMarketClients } from "./useMarketSource.ts";

export const CONTENTS_REFRESH_MS = 3_000;

export function useContents() {
  const { config, client } = useMarketClients();
  return useQuery({
    queryKey: ["contents", config.chainId, config.contracts.LicenseMarket, config.graphqlUrl],
    queryFn: async () => {
      const sourced = await fromSource(
        config,
        async (url) => {
          const { contents, networkFeeBps } = await graphContents(url);
          return { contents, networkFeeBps: networkFeeBps ?? (await readNetworkFeeBps(client, config)) };
        },
        async () => {
          const [contents, networkFeeBps] = await Promise.all([readContents(client, config), readNetworkFeeBps(client, config)]);
          return { contents, networkFeeBps };
        },
      );
      return { ...sourced.value, source: sourced.source, fallbackReason: sourced.fallbackReason };
    },
    refetchInterval: CONTENTS_REFRESH_MS,
  });
}
