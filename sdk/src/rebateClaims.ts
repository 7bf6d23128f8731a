/**
 * What a seeder can claim from the RebatePool and from which epochs: its balance (what its receipts earned from
 * buyers' allowances, the bounty fees) and its shares of the pools of the finished epochs in which its receipts were
 * credited (each its weight there: the network-fee part of its bytes, which the buyers paid into the pool). The
 * app's Seeding page and the headless seeder read it here, so both show and claim the same thing.
 *
 *   const c = await readRebateClaims(publicClient, { pool, seeder, fromBlock });
 *   if (c.claimable > 0n) await wallet.writeContract({ ..., functionName: "claim", args: [c.claimableEpochs] });
 *
 * Every figure is read at one block, so a share (the contract's `claimable` for one epoch less the balance) is never
 * computed against a balance read at another block.
 */
import type { Address, PublicClient } from "viem";
import { rebatePoolAbi } from "./generated/contracts.ts";

/** One `ReceiptCredited` event for the seeder. */
export interface RebateCredit {
  leecher: Address;
  contentId: bigint;
  /** Bytes credited (after the license's size cap). */
  creditedBytes: bigint;
  /** Wei paid from the license's allowance into the seeder's balance. */
  payout: bigint;
  /** The network-fee part of the bytes: weight added to the seeder in `epoch`. */
  weight: bigint;
  epoch: bigint;
  blockNumber: bigint;
}

/** The seeder in one epoch in which its receipts were credited. */
export interface EpochClaim {
  epoch: bigint;
  /** The seeder's unclaimed bytes in the epoch (0 once claimed). */
  bytes: bigint;
  /** The network-fee part of those bytes: the seeder's weight in the epoch's pool and the cap on its share. */
  weight: bigint;
  /** The seeder's share of the epoch's pool: claimable once the epoch is finished. */
  share: bigint;
  pool: bigint;
  /** The epoch's total weight, all seeders together. */
  totalWeight: bigint;
  finished: boolean;
}

export interface RebateClaims {
  /** The block every figure was read at. */
  blockNumber: bigint;
  /** The seeder's credits since `fromBlock`, oldest first. */
  credits: RebateCredit[];
  /** Allowance earnings not yet claimed (`RebatePool.balances`). */
  balance: bigint;
  /** The epochs of `credits`, in order. */
  epochs: EpochClaim[];
  /** The finished epochs with a share above 0: the argument of `RebatePool.claim`. */
  claimableEpochs: bigint[];
  /** What `claim(claimableEpochs)` pays: the balance and those shares. */
  claimable: bigint;
}

export interface RebateClaimsQuery {
  pool: Address;
  seeder: Address;
  /** Where the search for the seeder's credits starts: the pool's deployment block. */
  fromBlock?: bigint;
}

/** Reads what `seeder` can claim from the RebatePool at `pool` now. */
export async function readRebateClaims(client: PublicClient, { pool, seeder, fromBlock = 0n }: RebateClaimsQuery): Promise<RebateClaims> {
  const blockNumber = await client.getBlockNumber({ cacheTime: 0 });
  const read = { address: pool, abi: rebatePoolAbi, blockNumber } as const;
  const [logs, balance] = await Promise.all([
    client.getContractEvents({
      address: pool,
      abi: rebatePoolAbi,
      eventName: "ReceiptCredited",
      args: { seeder },
      fromBlock,
      toBlock: blockNumber,
    }),
    client.readContract({ ...read, functionName: "balances", args: [seeder] }),
  ]);
  const credits = logs.map((l): RebateCredit => ({
    leecher: l.args.leecher!,
    contentId: l.args.contentId!,
    creditedBytes: l.args.creditedBytes!,
    payout: l.args.payout!,
    weight: l.args.weight!,
    epoch: l.args.epoch!,
    blockNumber: l.blockNumber,
  }));

  const epochNumbers = [...new Set(credits.map((c) => c.epoch))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const epochs = await Promise.all(
    epochNumbers.map(async (epoch): Promise<EpochClaim> => {
      const [[epochPool, totalWeight, finished], [bytes, weight], withShare] = await Promise.all([
        client.readContract({ ...read, functionName: "epochInfo", args: [epoch] }),
        client.readContract({ ...read, functionName: "seederEpoch", args: [epoch, seeder] }),
        client.readContract({ ...read, functionName: "claimable", args: [seeder, [epoch]] }),
      ]);
      return { epoch, bytes, weight, share: withShare - balance, pool: epochPool, totalWeight, finished };
    }),
  );
  const claimableEpochs = epochs.filter((e) => e.finished && e.share > 0n).map((e) => e.epoch);
  const claimable = epochs.filter((e) => e.finished).reduce((sum, e) => sum + e.share, balance);
  return { blockNumber, credits, balance, epochs, claimableEpochs, claimable };
}
