/**
 * The viem chain of a Web3Torrent deployment: an id and the RPC endpoint to reach it. Every chain it runs on
 * (Ethereum, its L2s, the devchain) pays in ether, so that is all there is to say.
 */
import { defineChain, type Chain } from "viem";

/** The native currency of every chain Web3Torrent runs on; also what a wallet is told when it adds the chain. */
export const ETHER = { name: "Ether", symbol: "ETH", decimals: 18 } as const;

/** The chain `chainId` at `rpcUrl`, for viem's clients (the name shows in wallets and in viem's errors). */
export function chainFor(
  rpcUrl: string,
  chainId: number,
  { name = `chain ${chainId}`, testnet }: { name?: string; testnet?: boolean } = {},
): Chain {
  return defineChain({ id: chainId, name, nativeCurrency: ETHER, rpcUrls: { default: { http: [rpcUrl] } }, testnet });
}
