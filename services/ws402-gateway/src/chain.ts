/**
 * The gateway's view of the chain: viem clients for the WS402Deposits contract, signed by the provider's key.
 * ABIs come from the sdk (generated from the Hardhat artifacts).
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  http,
  parseEventLogs,
  type Address,
  type Hex,
  type PublicClient,
  type WalletClient,
  type Transport,
  type Chain as ViemChain,
  type PrivateKeyAccount,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getDeployment, ws402DepositsAbi } from "@web3torrent/sdk";
import { chainFor } from "@web3torrent/sdk/chain";

/** Gas limit = estimate × this / 100. */
const GAS_HEADROOM_PERCENT = 130n;

/** IWS402Deposits.SessionStatus. */
export const SESSION_STATUS = { none: 0, open: 1, settled: 2, reclaimed: 3 } as const;

export interface OnChainSession {
  user: Address;
  openedAt: number;
  closeDeadline: number;
  status: number;
  sessionKey: Address;
  maxSeconds: number;
  resourceId: bigint;
  pricePerSecond: bigint;
}

export interface OnChainResource {
  provider: Address;
  payout: Address;
  pricePerSecond: bigint;
  metadataURI: string;
}

export interface SettledEvent {
  elapsedSeconds: bigint;
  paidToProvider: bigint;
  refundedToUser: bigint;
}

/** A settlement that simulated without reverting, with its gas limit. */
export interface PreparedSettle {
  args: readonly [sessionId: bigint, elapsedSeconds: bigint, signature: Hex];
  gas: bigint;
}

export interface ChainOptions {
  rpcUrl: string;
  privateKey: Hex;
  /** Checked against the RPC when given. */
  chainId?: number;
  /** WS402Deposits; defaults to the sdk's deployment on the RPC's chain. */
  contract?: Address;
  pollingMs: number;
}

/** The name of the custom error a contract call reverted with, if it reverted with one. */
export function revertErrorName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  return reverted instanceof ContractFunctionRevertedError ? reverted.data?.errorName : undefined;
}

export class Chain {
  readonly chainId: number;
  readonly contract: Address;
  readonly account: PrivateKeyAccount;
  readonly publicClient: PublicClient<Transport, ViemChain>;
  readonly walletClient: WalletClient<Transport, ViemChain, PrivateKeyAccount>;
  readonly #pollingMs: number;
  /** Where event searches start: the contract's deployment block when known. */
  #fromBlock = 0n;

  private constructor(chainId: number, contract: Address, account: PrivateKeyAccount, rpcUrl: string, pollingMs: number) {
    this.chainId = chainId;
    this.contract = contract;
    this.account = account;
    this.#pollingMs = pollingMs;
    const chain = chainFor(rpcUrl, chainId);
    // Batching lets a burst of proofs (thousands of session reads) share HTTP requests.
    const transport = http(rpcUrl, { batch: { batchSize: 200, wait: 5 }, retryCount: 2, timeout: 15_000 });
    this.publicClient = createPublicClient({ chain, transport, pollingInterval: pollingMs });
    this.walletClient = createWalletClient({ chain, transport, account });
  }

  static async connect(options: ChainOptions): Promise<Chain> {
    const probe = createPublicClient({ transport: http(options.rpcUrl, { retryCount: 2, timeout: 10_000 }) });
    const chainId = await probe.getChainId();
    if (options.chainId !== undefined && options.chainId !== chainId) {
      throw new Error(`The RPC ${options.rpcUrl} serves chain ${chainId}, the configuration expects ${options.chainId}`);
    }
    const deployed = options.contract ? undefined : getDeployment(chainId).contracts.WS402Deposits;
    const contract = options.contract ?? deployed!.address;
    const code = await probe.getCode({ address: contract });
    if (!code || code === "0x") throw new Error(`No WS402Deposits contract at ${contract} on chain ${chainId}`);
    const chain = new Chain(chainId, contract, privateKeyToAccount(options.privateKey), options.rpcUrl, options.pollingMs);
    chain.#fromBlock = BigInt(deployed?.startBlock ?? 0);
    return chain;
  }

  /** Identifies the deployment: chain id, contract and genesis block hash. */
  async deploymentId(): Promise<string> {
    const genesis = await this.publicClient.getBlock({ blockNumber: 0n });
    return `${this.chainId}:${this.contract.toLowerCase()}:${genesis.hash}`;
  }

  get provider(): Address {
    return this.account.address;
  }

  async readSession(sessionId: bigint): Promise<OnChainSession> {
    const s = await this.publicClient.readContract({
      address: this.contract,
      abi: ws402DepositsAbi,
      functionName: "session",
      args: [sessionId],
    });
    return { ...s, resourceId: BigInt(s.resourceId), openedAt: Number(s.openedAt), closeDeadline: Number(s.closeDeadline) };
  }

  async readResource(resourceId: bigint): Promise<OnChainResource> {
    return this.publicClient.readContract({ address: this.contract, abi: ws402DepositsAbi, functionName: "resource", args: [resourceId] });
  }

  async registerResource(pricePerSecond: bigint, payout: Address, metadataURI: string): Promise<bigint> {
    const { request, result } = await this.publicClient.simulateContract({
      account: this.account,
      address: this.contract,
      abi: ws402DepositsAbi,
      functionName: "registerResource",
      args: [pricePerSecond, payout, metadataURI],
    });
    const hash = await this.walletClient.writeContract(request);
    const receipt = await this.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`registerResource reverted (${hash})`);
    const [registered] = parseEventLogs({ abi: ws402DepositsAbi, eventName: "ResourceRegistered", logs: receipt.logs });
    return registered?.args.resourceId ?? result;
  }

  async updateResource(resourceId: bigint, pricePerSecond: bigint, payout: Address, metadataURI: string): Promise<void> {
    const { request } = await this.publicClient.simulateContract({
      account: this.account,
      address: this.contract,
      abi: ws402DepositsAbi,
      functionName: "updateResource",
      args: [resourceId, pricePerSecond, payout, metadataURI],
    });
    const hash = await this.walletClient.writeContract(request);
    const receipt = await this.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`updateResource reverted (${hash})`);
  }

  /**
   * Simulates `settle` (a revert is reported by name without spending gas or a nonce) and estimates its gas.
   * Resolves with what `sendSettle` needs.
   */
  async prepareSettle(sessionId: bigint, elapsedSeconds: number, signature: Hex): Promise<PreparedSettle> {
    const call = {
      account: this.account,
      address: this.contract,
      abi: ws402DepositsAbi,
      functionName: "settle",
      args: [sessionId, BigInt(elapsedSeconds), signature],
    } as const;
    const [, gas] = await Promise.all([this.publicClient.simulateContract(call), this.publicClient.estimateContractGas(call)]);
    // Headroom for state that changes between the estimate and the mined block (a payout's pull balance, warm slots).
    return { args: call.args, gas: (gas * GAS_HEADROOM_PERCENT) / 100n };
  }

  /** The next nonce of the provider's account, counting its pending transactions, and current fees. */
  async nextNonceAndFees(): Promise<{ nonce: number; fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } }> {
    const [nonce, fees] = await Promise.all([
      this.publicClient.getTransactionCount({ address: this.account.address, blockTag: "pending" }),
      this.publicClient.estimateFeesPerGas(),
    ]);
    return { nonce, fees: { maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas } };
  }

  /**
   * Signs and sends a prepared settlement with the given nonce and fees: one `eth_sendRawTransaction`, so that a
   * burst of settlements goes out without a round of lookups per transaction.
   */
  async sendSettle(prepared: PreparedSettle, nonce: number, fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }): Promise<Hex> {
    return this.walletClient.writeContract({
      address: this.contract,
      abi: ws402DepositsAbi,
      functionName: "settle",
      args: prepared.args,
      gas: prepared.gas,
      nonce,
      ...fees,
    });
  }

  /** The receipt of a transaction, or undefined while it is not mined. */
  async receiptOf(hash: Hex): Promise<TransactionReceipt | undefined> {
    try {
      return await this.publicClient.getTransactionReceipt({ hash });
    } catch (error) {
      if (error instanceof TransactionReceiptNotFoundError) return undefined;
      throw error;
    }
  }

  /** The SessionSettled event of a session settled earlier (by this gateway before a crash, for instance). */
  async findSettlement(sessionId: bigint): Promise<(SettledEvent & { txHash: Hex }) | undefined> {
    const [event] = await this.publicClient.getContractEvents({
      address: this.contract,
      abi: ws402DepositsAbi,
      eventName: "SessionSettled",
      args: { sessionId },
      fromBlock: this.#fromBlock,
    });
    return event ? { ...(event.args as SettledEvent), txHash: event.transactionHash } : undefined;
  }

  /** The SessionSettled event of `sessionId` in a mined receipt, or undefined when the transaction reverted. */
  settledEventIn(receipt: TransactionReceipt, sessionId: bigint): SettledEvent | undefined {
    if (receipt.status !== "success") return undefined;
    return parseEventLogs({ abi: ws402DepositsAbi, eventName: "SessionSettled", logs: receipt.logs }).find(
      (log) => log.args.sessionId === sessionId,
    )?.args;
  }

  /**
   * Calls `onRequest` for every CloseRequested event from the next block on, polling `eth_getLogs` by block range
   * (no filter is installed on the node, so nothing is left behind there). Returns an async function that stops
   * watching once the poll in flight, if any, has finished.
   */
  watchCloseRequests(onRequest: (sessionId: bigint, deadline: bigint) => void, onError: (error: Error) => void): () => Promise<void> {
    let stopped = false;
    let lastBlock: bigint | undefined;
    let timer: NodeJS.Timeout | undefined;
    let inFlight: Promise<void> = Promise.resolve();
    const poll = async () => {
      try {
        const head = await this.publicClient.getBlockNumber({ cacheTime: 0 });
        if (lastBlock === undefined) lastBlock = head;
        if (head > lastBlock && !stopped) {
          const logs = await this.publicClient.getContractEvents({
            address: this.contract,
            abi: ws402DepositsAbi,
            eventName: "CloseRequested",
            fromBlock: lastBlock + 1n,
            toBlock: head,
          });
          lastBlock = head;
          for (const log of logs) if (!stopped) onRequest(log.args.sessionId!, log.args.deadline!);
        }
      } catch (error) {
        onError(error as Error);
      }
    };
    const schedule = () => {
      if (stopped) return;
      timer = setTimeout(() => {
        inFlight = poll().finally(schedule);
      }, this.#pollingMs);
    };
    inFlight = poll().finally(schedule);
    return async () => {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    };
  }
}
