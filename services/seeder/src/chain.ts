/**
 * The seeder's view of the chain: the reads behind its admission checks and the transactions that get it paid.
 * Transactions go out one at a time (one nonce sequence per seeder key).
 */
import {
  createPublicClient,
  createWalletClient,
  http,
  type Address,
  type Hash,
  type Hex,
  type PrivateKeyAccount,
  type PublicClient,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainFor } from "@web3torrent/sdk/chain";
import type { SignedReceipt } from "@web3torrent/sdk/eip712";
import { checkpointEscrowAbi, licenseMarketAbi, rebatePoolAbi } from "@web3torrent/sdk/generated/contracts";

export interface SeederContracts {
  market: Address;
  escrow: Address;
  rebatePool: Address;
}

export { EscrowStatus } from "@web3torrent/sdk/wire/admission";

export interface EscrowState {
  status: number;
  leecher: Address;
  sessionKey: Address;
  contentId: bigint;
  maxBytes: bigint;
  mode: number;
  pricePerMiB: bigint;
  deposit: bigint;
  paid: bigint;
  closesAt: bigint;
  /** Seeders that have redeemed, and those of them that waived their window: equal (non-zero) means refundable now. */
  seeders: number;
  waivers: number;
}

export interface SignedVoucher {
  escrowId: bigint;
  seeder: Address;
  cumulativeBytes: bigint;
  cumulativeAmount: bigint;
  signature: Hex;
}

export class SeederChain {
  readonly publicClient: PublicClient;
  readonly wallet: WalletClient;
  readonly account: PrivateKeyAccount;
  readonly contracts: SeederContracts;
  #txQueue: Promise<unknown> = Promise.resolve();

  constructor(rpcUrl: string, chainId: number, privateKey: Hex, contracts: SeederContracts) {
    const chain = chainFor(rpcUrl, chainId);
    const transport = http(rpcUrl, { retryCount: 2 });
    this.account = privateKeyToAccount(privateKey);
    this.publicClient = createPublicClient({ chain, transport, pollingInterval: 100 }) as PublicClient;
    this.wallet = createWalletClient({ chain, transport, account: this.account });
    this.contracts = contracts;
  }

  get address(): Address {
    return this.account.address;
  }

  /** The chain's clock (the latest block's timestamp): what the contracts compare expiries with. */
  async now(): Promise<bigint> {
    const block = await this.publicClient.getBlock({ blockTag: "latest" });
    return block.timestamp;
  }

  contentIdOf(infohash: Hex): Promise<bigint> {
    return this.publicClient.readContract({
      address: this.contracts.market,
      abi: licenseMarketAbi,
      functionName: "contentIdOf",
      args: [infohash],
    });
  }

  async content(contentId: bigint) {
    return this.publicClient.readContract({
      address: this.contracts.market,
      abi: licenseMarketAbi,
      functionName: "content",
      args: [contentId],
    });
  }

  hasLicense(account: Address, contentId: bigint): Promise<boolean> {
    return this.publicClient.readContract({
      address: this.contracts.market,
      abi: licenseMarketAbi,
      functionName: "hasLicense",
      args: [account, contentId],
    });
  }

  async escrow(escrowId: bigint): Promise<EscrowState> {
    const e = await this.publicClient.readContract({
      address: this.contracts.escrow,
      abi: checkpointEscrowAbi,
      functionName: "escrow",
      args: [escrowId],
    });
    return {
      status: Number(e.status),
      leecher: e.leecher,
      sessionKey: e.sessionKey,
      contentId: e.contentId,
      maxBytes: BigInt(e.maxBytes),
      mode: Number(e.mode),
      pricePerMiB: BigInt(e.pricePerMiB),
      deposit: BigInt(e.deposit),
      paid: BigInt(e.deposit) - BigInt(e.unpaid) - BigInt(e.reserved), // reservations are not paid yet
      closesAt: BigInt(e.closesAt),
      seeders: Number(e.seeders),
      waivers: Number(e.waivers),
    };
  }

  remaining(escrowId: bigint): Promise<bigint> {
    return this.publicClient.readContract({
      address: this.contracts.escrow,
      abi: checkpointEscrowAbi,
      functionName: "remaining",
      args: [escrowId],
    });
  }

  async redeemedBy(escrowId: bigint, seeder: Address = this.address): Promise<{ amount: bigint; waived: boolean; reserved: bigint }> {
    const r = await this.publicClient.readContract({
      address: this.contracts.escrow,
      abi: checkpointEscrowAbi,
      functionName: "redeemedBy",
      args: [escrowId, seeder],
    });
    return { amount: BigInt(r.amount), waived: r.waived, reserved: BigInt(r.reserved) };
  }

  credited(leecher: Address, contentId: bigint, seeder: Address = this.address): Promise<bigint> {
    return this.publicClient.readContract({
      address: this.contracts.rebatePool,
      abi: rebatePoolAbi,
      functionName: "credited",
      args: [leecher, seeder, contentId],
    });
  }

  rebateBalance(seeder: Address = this.address): Promise<bigint> {
    return this.publicClient.readContract({
      address: this.contracts.rebatePool,
      abi: rebatePoolAbi,
      functionName: "balances",
      args: [seeder],
    });
  }

  /** The rebate allowance of a license: wei not yet paid out or swept, and when it was last funded. */
  async allowance(licensee: Address, contentId: bigint): Promise<{ remaining: bigint; fundedAt: bigint }> {
    const [remaining, , fundedAt] = await this.publicClient.readContract({
      address: this.contracts.rebatePool,
      abi: rebatePoolAbi,
      functionName: "allowance",
      args: [licensee, contentId],
    });
    return { remaining, fundedAt };
  }

  /** Seconds after its last funding from which a license's unearned allowance may be swept. */
  allowanceExpiry(): Promise<bigint> {
    return this.publicClient
      .readContract({ address: this.contracts.rebatePool, abi: rebatePoolAbi, functionName: "allowanceExpiry" })
      .then(BigInt);
  }

  /**
   * What `redeemAndReserve(voucher)` would leave reserved for this seeder, at the latest block: one `eth_call`, so the
   * seeder can open an interval before the transaction is mined.
   */
  async simulateRedeemAndReserve(voucher: SignedVoucher): Promise<bigint> {
    const { escrowId, seeder, cumulativeBytes, cumulativeAmount, signature } = voucher;
    const { result } = await this.publicClient.simulateContract({
      account: this.account,
      address: this.contracts.escrow,
      abi: checkpointEscrowAbi,
      functionName: "redeemAndReserve",
      args: [{ escrowId, seeder, cumulativeBytes, cumulativeAmount }, signature],
    });
    return result;
  }

  /**
   * Redeems the voucher and reserves this seeder's next interval in the escrow (mined when it resolves). No
   * simulation first: the gas estimate reverts with the contract's error just the same, one call fewer.
   */
  redeemAndReserve(voucher: SignedVoucher): Promise<Hash> {
    return this.#send(() => {
      const { escrowId, seeder, cumulativeBytes, cumulativeAmount, signature } = voucher;
      return this.wallet.writeContract({
        chain: this.wallet.chain,
        account: this.account,
        address: this.contracts.escrow,
        abi: checkpointEscrowAbi,
        functionName: "redeemAndReserve",
        args: [{ escrowId, seeder, cumulativeBytes, cumulativeAmount }, signature],
      });
    });
  }

  /** Redeems the vouchers (all naming this seeder) in one transaction. */
  redeemBatch(vouchers: SignedVoucher[]): Promise<Hash> {
    return this.#send(async () => {
      const { request } = await this.publicClient.simulateContract({
        account: this.account,
        address: this.contracts.escrow,
        abi: checkpointEscrowAbi,
        functionName: "redeemBatch",
        args: [
          this.address,
          vouchers.map(({ escrowId, seeder, cumulativeBytes, cumulativeAmount }) => ({
            escrowId,
            seeder,
            cumulativeBytes,
            cumulativeAmount,
          })),
          vouchers.map((v) => v.signature),
        ],
      });
      return this.wallet.writeContract(request);
    });
  }

  /** Submits the receipts (all for this seeder) in one transaction. */
  submitReceipts(receipts: SignedReceipt[]): Promise<Hash> {
    return this.#send(async () => {
      const { request } = await this.publicClient.simulateContract({
        account: this.account,
        address: this.contracts.rebatePool,
        abi: rebatePoolAbi,
        functionName: "submitReceipts",
        args: [this.address, receipts],
      });
      return this.wallet.writeContract(request);
    });
  }

  /** Gives up the rest of this seeder's challenge window on a closing escrow (the leecher is refunded sooner). */
  /**
   * The seeder's end of a download the leecher closed with its session key's `Close`: redeems `voucher` (skipped
   * when not newer), closes the escrow if it is still open, waives our window and, when every paid seeder has
   * waived, refunds the leecher, in one transaction.
   */
  settleClose(voucher: SignedVoucher, closeSignature: Hex): Promise<Hash> {
    const { escrowId, seeder, cumulativeBytes, cumulativeAmount, signature } = voucher;
    return this.#send(async () => {
      const { request } = await this.publicClient.simulateContract({
        account: this.account,
        address: this.contracts.escrow,
        abi: checkpointEscrowAbi,
        functionName: "settleClose",
        args: [{ escrowId, seeder, cumulativeBytes, cumulativeAmount }, signature, closeSignature],
      });
      return this.wallet.writeContract(request);
    });
  }

  /** Closes an open escrow with its session key's signed `Close` (when we hold no voucher to settle with it). */
  closeWithSignature(escrowId: bigint, closeSignature: Hex): Promise<Hash> {
    return this.#send(async () => {
      const { request } = await this.publicClient.simulateContract({
        account: this.account,
        address: this.contracts.escrow,
        abi: checkpointEscrowAbi,
        functionName: "closeWithSignature",
        args: [escrowId, closeSignature],
      });
      return this.wallet.writeContract(request);
    });
  }

  /** Refunds the leecher of a closing escrow (after its window, or once every paid seeder waived). */
  refund(escrowId: bigint): Promise<Hash> {
    return this.#send(async () => {
      const { request } = await this.publicClient.simulateContract({
        account: this.account,
        address: this.contracts.escrow,
        abi: checkpointEscrowAbi,
        functionName: "refund",
        args: [escrowId],
      });
      return this.wallet.writeContract(request);
    });
  }

  waiveChallenge(escrowId: bigint): Promise<Hash> {
    return this.#send(async () => {
      const { request } = await this.publicClient.simulateContract({
        account: this.account,
        address: this.contracts.escrow,
        abi: checkpointEscrowAbi,
        functionName: "waiveChallenge",
        args: [escrowId],
      });
      return this.wallet.writeContract(request);
    });
  }

  /** Sweeps the unearned allowances of expired licenses into the epoch pool, in one transaction (all or nothing). */
  sweepMany(licenses: { licensee: Address; contentId: bigint }[]): Promise<Hash> {
    return this.#send(async () => {
      const { request } = await this.publicClient.simulateContract({
        account: this.account,
        address: this.contracts.rebatePool,
        abi: rebatePoolAbi,
        functionName: "sweepMany",
        args: [licenses],
      });
      return this.wallet.writeContract(request);
    });
  }

  /** Claims the seeder's rebate balance (and the given finished epochs). */
  claimRebates(epochs: bigint[] = []): Promise<Hash> {
    return this.#send(async () => {
      const { request } = await this.publicClient.simulateContract({
        account: this.account,
        address: this.contracts.rebatePool,
        abi: rebatePoolAbi,
        functionName: "claim",
        args: [epochs],
      });
      return this.wallet.writeContract(request);
    });
  }

  /** Runs `send` after the previous transaction was mined, and waits for its own receipt. */
  #send(send: () => Promise<Hash>): Promise<Hash> {
    const next = this.#txQueue.then(async () => {
      const hash = await send();
      const receipt = await this.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
      return hash;
    });
    // The caller gets `next` and its failure; the queue only orders the transactions after it.
    this.#txQueue = next.catch(() => {});
    return next;
  }
}
