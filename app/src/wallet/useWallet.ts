/** The wallet as the pages need it: connected account, whether it is on the app's chain, and the ways to fix it. */
import { useConnection, useSwitchChain } from "wagmi";
import { ETHER } from "@web3torrent/sdk/chain";
import { useAppConfig } from "../config/ConfigContext.tsx";

export interface WalletState {
  address: `0x${string}` | undefined;
  isConnected: boolean;
  /** Connected, on the app's chain: transactions can be sent. */
  isReady: boolean;
  wrongChain: boolean;
  walletChainId: number | undefined;
}

export function useWallet(): WalletState {
  const config = useAppConfig();
  const { address, isConnected, chainId } = useConnection();
  const wrongChain = isConnected && chainId !== undefined && chainId !== config.chainId;
  return { address, isConnected, isReady: isConnected && !wrongChain && !!address, wrongChain, walletChainId: chainId };
}

/** Switches the wallet to the app's chain, adding it (name, RPC, currency) when the wallet does not know it. */
export function useSwitchToAppChain() {
  const config = useAppConfig();
  const switchChain = useSwitchChain();
  return {
    ...switchChain,
    switchToAppChain: () =>
      switchChain.mutate({
        chainId: config.chainId,
        addEthereumChainParameter: {
          chainName: config.chainName,
          rpcUrls: [config.rpcUrl],
          nativeCurrency: ETHER,
        },
      }),
  };
}
