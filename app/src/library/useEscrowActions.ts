/** The leecher's escrow transactions: close (starts the challenge window), refund (after it). */
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { useContractTransaction } from "../tx/useContractTransaction.ts";

export function useEscrowActions() {
  const config = useAppConfig();
  const tx = useContractTransaction();
  const address = config.contracts.CheckpointEscrow;
  return {
    ...tx,
    close: (escrowId: bigint) => tx.send({ address, abi: checkpointEscrowAbi, functionName: "close", args: [escrowId] }),
    refund: (escrowId: bigint) => tx.send({ address, abi: checkpointEscrowAbi, functionName: "refund", args: [escrowId] }),
  };
}
