/**
 * One contract transaction with visible progress: checked first (balance, then a simulation that decodes any
 * revert before the wallet opens), then signed in the wallet, then mined. Once confirmed, every query refreshes so
 * the views update without a reload.
 */
import { formatEth } from "../format/formatEth.ts";
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import type { Abi, ContractFunctionArgs, ContractFunctionName, Hash, TransactionReceipt } from "viem";
import { useConfig } from "wagmi";
import { getBalance, simulateContract, waitForTransactionReceipt, writeContract } from "wagmi/actions";
import { describeError, type DescribedError } from "../errors/describeError.ts";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { useWallet } from "../wallet/useWallet.ts";

/** How long after a confirmation the views are refreshed again, for indexers that lag the chain. */
const INDEXER_CATCH_UP_MS = 2_000;

export type TxPhase = "idle" | "checking" | "wallet" | "pending" | "confirmed" | "failed";

export interface TxState {
  phase: TxPhase;
  hash?: Hash;
  receipt?: TransactionReceipt;
  error?: DescribedError;
}

export interface ContractCall<abi extends Abi, fn extends ContractFunctionName<abi, "nonpayable" | "payable">> {
  address: `0x${string}`;
  abi: abi;
  functionName: fn;
  args: ContractFunctionArgs<abi, "nonpayable" | "payable", fn>;
  value?: bigint;
}

export class InsufficientBalanceError extends Error {
  override name = "InsufficientBalanceError";
  constructor(
    readonly needed: bigint,
    readonly balance: bigint,
  ) {
    super(`needs ${formatEth(needed)} ETH plus gas; balance ${formatEth(balance)} ETH`);
  }
}

export function describeTxError(error: unknown): DescribedError {
  if (error instanceof InsufficientBalanceError) {
    return {
      kind: "insufficient-funds",
      title: "Insufficient funds",
      message: `This needs ${formatEth(error.needed)} ETH plus gas, and your balance is ${formatEth(error.balance)} ETH. Add ETH to this account or use another one.`,
    };
  }
  return describeError(error);
}

export function useContractTransaction() {
  const wagmiConfig = useConfig();
  const { chainId } = useAppConfig();
  const { address } = useWallet();
  const queryClient = useQueryClient();
  const [state, setState] = useState<TxState>({ phase: "idle" });

  const send = useCallback(
    async <abi extends Abi, fn extends ContractFunctionName<abi, "nonpayable" | "payable">>(
      call: ContractCall<abi, fn>,
    ): Promise<TransactionReceipt | undefined> => {
      try {
        if (!address) throw new Error("Connect a wallet first.");
        setState({ phase: "checking" });
        const value = call.value ?? 0n;
        const balance = await getBalance(wagmiConfig, { address, chainId });
        if (balance.value < value) throw new InsufficientBalanceError(value, balance.value);
        const { request } = await simulateContract(wagmiConfig, {
          ...(call as object),
          account: address,
          chainId,
        } as never);
        setState({ phase: "wallet" });
        const hash = await writeContract(wagmiConfig, request as never);
        setState({ phase: "pending", hash });
        const receipt = await waitForTransactionReceipt(wagmiConfig, { hash, chainId });
        if (receipt.status !== "success") throw new Error(`The transaction ${hash} was reverted.`);
        setState({ phase: "confirmed", hash, receipt });
        await queryClient.invalidateQueries();
        // An indexer (GraphQL) may see the block a moment later than the chain: refresh once more then.
        setTimeout(() => void queryClient.invalidateQueries(), INDEXER_CATCH_UP_MS);
        return receipt;
      } catch (error) {
        setState((s) => ({ phase: "failed", hash: s.hash, error: describeTxError(error) }));
        return undefined;
      }
    },
    [address, chainId, queryClient, wagmiConfig],
  );

  const reset = useCallback(() => setState({ phase: "idle" }), []);
  return { ...state, send, reset, busy: state.phase === "checking" || state.phase === "wallet" || state.phase === "pending" };
}
