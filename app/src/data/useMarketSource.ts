/**
 * Picks where lists come from: the configured GraphQL API, or the chain when none is configured or the API fails
 * (so an indexer outage degrades to slower reads, never to an empty page).
 */
import { usePublicClient } from "wagmi";
import type { PublicClient } from "viem";
import { useAppConfig } from "../config/ConfigContext.tsx";
import type { AppConfig } from "../config/appConfig.ts";

export interface Sourced<T> {
  value: T;
  source: "graphql" | "chain";
  /** Why the chain was read although a GraphQL API is configured. */
  fallbackReason?: string;
}

export function useMarketClients(): { config: AppConfig; client: PublicClient } {
  const config = useAppConfig();
  const client = usePublicClient({ chainId: config.chainId });
  if (!client) throw new Error(`No client for chain ${config.chainId}`);
  return { config, client: client as PublicClient };
}

export async function fromSource<T>(config: AppConfig, graph: (url: string) => Promise<T>, chain: () => Promise<T>): Promise<Sourced<T>> {
  if (config.graphqlUrl) {
    try {
      return { value: await graph(config.graphqlUrl), source: "graphql" };
    } catch (error) {
      return { value: await chain(), source: "chain", fallbackReason: (error as Error).message };
    }
  }
  return { value: await chain(), source: "chain" };
}
