/**
 * What the app needs to know about the world: the chain, the contracts and the off-chain services. Every field
 * is configuration, never code: pointing the app at a hosted subgraph or another chain is a new `config.json`.
 */
import type { Address } from "viem";

export interface ContractAddresses {
  LicenseMarket: Address;
  CheckpointEscrow: Address;
  WS402Deposits: Address;
  RebatePool: Address;
}

export interface AppConfig {
  chainId: number;
  chainName: string;
  /** JSON-RPC endpoint the app reads from, and the one offered to the wallet when it adds the chain. */
  rpcUrl: string;
  contracts: ContractAddresses;
  /** First block to scan for events when no GraphQL API is configured. */
  startBlock: bigint;
  /** GraphQL endpoint of the subgraph (local indexer, graph-node or The Graph Network); null: read the chain. */
  graphqlUrl: string | null;
  /** WebTorrent trackers (WebSocket URLs) announced by published torrents and used by downloads. */
  trackerUrls: string[];
  /** WS402 gateway base URL (HTTP); null: no Sessions page resources. */
  gatewayUrl: string | null;
  /** ICE servers for WebRTC; none on a LAN or one machine. */
  iceServers: { urls: string | string[] }[];
}

export const CONTRACT_NAMES = ["LicenseMarket", "CheckpointEscrow", "WS402Deposits", "RebatePool"] as const;
