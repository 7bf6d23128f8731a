/** What the connected publisher's sales have earned, withdrawable at any time (even while the market is paused). */
import { ErrorNotice } from "../errors/ErrorNotice.tsx";
import { Eth } from "../format/Eth.tsx";
import { TxProgress } from "../tx/TxProgress.tsx";
import { useWallet } from "../wallet/useWallet.ts";
import { useProceeds } from "./useProceeds.ts";

export function ProceedsCard() {
  const { address, isReady } = useWallet();
  const { balance, tx, withdraw } = useProceeds(address);
  if (!address || balance === undefined) return null;
  return (
    <div className="card row" data-testid="proceeds">
      <p>
        Your sales proceeds: <Eth wei={balance} />
      </p>
      <div>
        <button type="button" onClick={withdraw} disabled={!isReady || balance === 0n || tx.busy} data-testid="withdraw-proceeds">
          Withdraw
        </button>
        <TxProgress state={tx} />
        {tx.error && <ErrorNotice error={tx.error} onDismiss={tx.reset} />}
      </div>
    </div>
  );
}
