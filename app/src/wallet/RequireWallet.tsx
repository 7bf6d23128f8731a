/**
 * Renders its children (the actions that send transactions or sign) only with a connected wallet on the app's
 * chain; otherwise says what is missing and offers the fix right there.
 */
import type { ReactNode } from "react";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { ConnectWallet } from "./ConnectWallet.tsx";
import { useSwitchToAppChain, useWallet } from "./useWallet.ts";

export function RequireWallet({ children, action = "continue" }: { children: ReactNode; action?: string }) {
  const config = useAppConfig();
  const { isConnected, wrongChain } = useWallet();
  const { switchToAppChain, isPending } = useSwitchToAppChain();
  if (!isConnected) {
    return (
      <div className="require-wallet">
        <p>Connect a wallet to {action}.</p>
        <ConnectWallet />
      </div>
    );
  }
  if (wrongChain) {
    return (
      <div className="require-wallet">
        <p>
          Switch your wallet to {config.chainName} to {action}.
        </p>
        <button type="button" onClick={switchToAppChain} disabled={isPending}>
          Switch network
        </button>
      </div>
    );
  }
  return <>{children}</>;
}
