/**
 * The way out when the gateway is gone: ask to close on-chain (the provider may still settle with its latest
 * receipt during the grace period), then reclaim the whole deposit after it.
 */
import { ws402DepositsAbi } from "@web3torrent/sdk/generated/contracts";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { useContractTransaction } from "../tx/useContractTransaction.ts";

export function useSessionFallback() {
  const config = useAppConfig();
  const tx = useContractTransaction();
  const address = config.contracts.WS402Deposits;
  return {
    ...tx,
    requestClose: (sessionId: bigint) => tx.send({ address, abi: ws402DepositsAbi, functionName: "requestClose", args: [sessionId] }),
    reclaim: (sessionId: bigint) => tx.send({ address, abi: ws402DepositsAbi, functionName: "reclaim", args: [sessionId] }),
  };
}
