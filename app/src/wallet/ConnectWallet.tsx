/** Connect buttons, one per discovered wallet; "no wallet" with a way out when there is none. */
import { useConnect } from "wagmi";
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { noWallet } from "../errors/describeError.ts";
import { useWalletConnectors } from "./useWalletConnectors.ts";

export function ConnectWallet({ compact = false }: { compact?: boolean }) {
  const connectors = useWalletConnectors();
  const connect = useConnect();
  if (connectors.length === 0 && compact) {
    return (
      <div className="connect" data-error-kind="no-wallet" title={noWallet().message}>
        <span className="muted">No wallet found</span>
        <a className="button" href="https://metamask.io/download/" target="_blank" rel="noreferrer">
          Get MetaMask
        </a>
      </div>
    );
  }
  if (connectors.length === 0) {
    return (
      <ErrorNotice error={noWallet()}>
        <a className="button" href="https://metamask.io/download/" target="_blank" rel="noreferrer">
          Get MetaMask
        </a>
        <button type="button" className="secondary" onClick={() => window.location.reload()}>
          Reload
        </button>
      </ErrorNotice>
    );
  }
  return (
    <div className="connect">
      {connectors.map((connector) => (
        <button
          type="button"
          key={connector.uid}
          onClick={() => connect.mutate({ connector })}
          disabled={connect.isPending}
          data-testid={`connect-${connector.id}`}
        >
          {connector.icon && <img src={connector.icon} alt="" width={18} height={18} />}
          {connect.isPending && connect.variables?.connector === connector ? "Connecting…" : `Connect ${connector.name}`}
        </button>
      ))}
      {connect.error && (
        <ErrorNotice error={connect.error} onDismiss={() => connect.reset()}>
          {connect.variables && (
            <button type="button" onClick={() => connect.mutate(connect.variables!)}>
              Try again
            </button>
          )}
        </ErrorNotice>
      )}
    </div>
  );
}
