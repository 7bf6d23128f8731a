/** `RebatePool.claim`: the allowance earnings and the shares of every finished epoch with the seeder's bytes. */
import { rebatePoolAbi } from "@web3torrent/sdk/generated/contracts";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { useContractTransaction } from "../tx/useContractTransaction.ts";

export function useClaimRebates() {
  const config = useAppConfig();
  const tx = useContractTransaction();
  return {
    ...tx,
    claim: (epochs: bigint[]) =>
      tx.send({ address: config.contracts.RebatePool, abi: rebatePoolAbi, functionName: "claim", args: [epochs] }),
  };
}
