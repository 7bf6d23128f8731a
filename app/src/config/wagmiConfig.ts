/**
 * wagmi for one chain, read over the configured RPC. Wallets are found by EIP-6963 discovery (MetaMask and any
 * other announcing wallet), with the generic injected connector (window.ethereum) for older wallets.
 */
import type { Chain } from "viem";
import { createConfig, http, injected } from "wagmi";
import { chainFor } from "@web3torrent/sdk/chain";
import type { AppConfig } from "./appConfig.ts";

export function appChain(config: AppConfig): Chain {
  return chainFor(config.rpcUrl, config.chainId, { name: config.chainName, testnet: true });
}

export function createWagmiConfig(config: AppConfig) {
  const chain = appChain(config);
  return createConfig({
    chains: [chain],
    connectors: [injected()],
    multiInjectedProviderDiscovery: true,
    transports: { [chain.id]: http(config.rpcUrl, { batch: true }) },
    pollingInterval: 1_000,
  });
}

export type WagmiConfig = ReturnType<typeof createWagmiConfig>;
