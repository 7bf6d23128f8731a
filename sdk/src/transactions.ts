/**
 * A contract write as the sdk sends every one: simulated first (a revert is thrown with its custom error decoded,
 * before the wallet is asked), sent from the simulated request, then waited for until mined.
 */
import type {
  Abi,
  Account,
  Address,
  Chain,
  ContractFunctionArgs,
  ContractFunctionName,
  Hash,
  PublicClient,
  SimulateContractParameters,
  TransactionReceipt,
  WalletClient,
} from "viem";

/** Sends `call` from `walletClient` and resolves with its hash and receipt once mined; the caller reads the status and events. */
export async function writeAndWait<
  const abi extends Abi | readonly unknown[],
  functionName extends ContractFunctionName<abi, "nonpayable" | "payable">,
  const args extends ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>,
>(
  clients: { publicClient: PublicClient; walletClient: Pick<WalletClient, "writeContract"> },
  call: SimulateContractParameters<abi, functionName, args, Chain | undefined, Chain | undefined, Account | Address>,
): Promise<{ hash: Hash; receipt: TransactionReceipt }> {
  const { request } = await clients.publicClient.simulateContract(call as SimulateContractParameters);
  // The request simulateContract built for this very call: viem's types cannot follow it through the generics.
  const hash = await clients.walletClient.writeContract(request as never);
  return { hash, receipt: await clients.publicClient.waitForTransactionReceipt({ hash }) };
}
