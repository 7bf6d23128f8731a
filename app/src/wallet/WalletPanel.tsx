/** The header's wallet: account and balance when connected, connect buttons otherwise. */
import { useBalance, useDisconnect } from "wagmi";
import { Eth } from "../format/Eth.tsx";
import { shortAddress } from "../format/shortAddress.ts";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { ConnectWallet } from "./ConnectWallet.tsx";
import { useWallet } from "./useWallet.ts";

export function WalletPanel() {
  const config = useAppConfig();
  const { address, isConnected } = useWallet();
  const balance = useBalance({ address, chainId: config.chainId, query: { enabled: !!address, refetchInterval: 4_000 } });
  const disconnect = useDisconnect();
  if (!isConnected || !address) return <ConnectWallet compact />;
  return (
    <div className="wallet" data-testid="wallet">
      <span className="address" title={address} data-testid="account">
        {shortAddress(address)}
      </span>
      <span className="balance" data-testid="balance">
        {balance.data ? <Eth wei={balance.data.value} /> : "…"}
      </span>
      <button type="button" className="secondary" onClick={() => disconnect.mutate()}>
        Disconnect
      </button>
    </div>
  );
}
