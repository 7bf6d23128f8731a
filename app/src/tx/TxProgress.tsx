/** Where a transaction is: being checked, waiting for the wallet, pending in the mempool, confirmed. */
import type { TxState } from "./useContractTransaction.ts";

const LABELS: Record<TxState["phase"], string> = {
  idle: "",
  checking: "Checking the transaction…",
  wallet: "Confirm in your wallet…",
  pending: "Pending: waiting for the block…",
  confirmed: "Confirmed",
  failed: "",
};

export function TxProgress({ state }: { state: TxState }) {
  if (state.phase === "idle" || state.phase === "failed") return null;
  return (
    <p className={`tx tx-${state.phase}`} role="status" data-testid="tx-status" data-phase={state.phase}>
      {state.phase !== "confirmed" && <span className="spinner" aria-hidden />}
      {LABELS[state.phase]}
      {state.hash && (
        <code className="hash" title={state.hash}>
          {" "}
          {state.hash.slice(0, 10)}…
        </code>
      )}
      {state.receipt && ` in block ${state.receipt.blockNumber}`}
    </p>
  );
}
