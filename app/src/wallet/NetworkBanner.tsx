/** Shown while the wallet is on another chain: says which, and switches (adding the chain if needed). */
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { useSwitchToAppChain, useWallet } from "./useWallet.ts";

export function NetworkBanner() {
  const config = useAppConfig();
  const { wrongChain, walletChainId } = useWallet();
  const { switchToAppChain, isPending, error, reset } = useSwitchToAppChain();
  if (!wrongChain) return null;
  return (
    <div className="banner" data-testid="wrong-chain">
      <ErrorNotice
        error={{
          kind: "wrong-chain",
          title: "Wrong network",
          message: `Your wallet is on chain ${walletChainId}; Web3Torrent runs on ${config.chainName} (chain ${config.chainId}).`,
        }}
      >
        <button type="button" onClick={switchToAppChain} disabled={isPending} data-testid="switch-chain">
          {isPending ? "Check your wallet…" : `Switch to ${config.chainName}`}
        </button>
      </ErrorNotice>
      {error && <ErrorNotice error={error} onDismiss={reset} />}
    </div>
  );
}
