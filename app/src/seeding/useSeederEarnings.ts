/**
 * What an account earned as a seeder, from the chain's events and views: escrow payments (vouchers redeemed,
 * checkpoints released), rebates paid from buyers' allowances (its claimable balance), its bytes and shares in each
 * rebate epoch, and what it already claimed. Per content, so the page can set earnings against license cost.
 */
import { useQuery } from "@tanstack/react-query";
import { checkpointEscrowAbi, rebatePoolAbi } from "@web3torrent/sdk/generated/contracts";
import { readRebateClaims, type EpochClaim } from "@web3torrent/sdk/rebateClaims";
import type { Address } from "viem";
import { useMarketClients } from "../data/useMarketSource.ts";

/** The seeder in one rebate epoch (see the sdk's `readRebateClaims`). */
export type EpochEarning = EpochClaim;

export interface ContentEarning {
  contentId: bigint;
  escrow: bigint;
  rebates: bigint;
  bytesCredited: bigint;
}

export interface SeederEarnings {
  escrowEarned: bigint;
  redemptions: { escrowId: bigint; cumulativeBytes: bigint; paid: bigint; blockNumber: bigint; kind: "voucher" | "release" }[];
  allowanceEarned: bigint;
  bytesCredited: bigint;
  /** Allowance earnings not yet claimed (RebatePool.balances). */
  balance: bigint;
  epochs: EpochEarning[];
  claimableEpochs: bigint[];
  claimable: bigint;
  claimed: bigint;
  byContent: ContentEarning[];
}

export function useSeederEarnings(seeder: Address | undefined) {
  const { config, client } = useMarketClients();
  return useQuery({
    queryKey: ["seederEarnings", config.chainId, seeder],
    enabled: !!seeder,
    refetchInterval: 4_000,
    queryFn: async (): Promise<SeederEarnings> => {
      const range = { fromBlock: config.startBlock, toBlock: "latest" as const };
      const escrow = config.contracts.CheckpointEscrow;
      const pool = config.contracts.RebatePool;
      const [vouchers, releases, claims, rebates] = await Promise.all([
        client.getContractEvents({ address: escrow, abi: checkpointEscrowAbi, eventName: "VoucherRedeemed", args: { seeder }, ...range }),
        client.getContractEvents({
          address: escrow,
          abi: checkpointEscrowAbi,
          eventName: "CheckpointReleased",
          args: { seeder },
          ...range,
        }),
        client.getContractEvents({ address: pool, abi: rebatePoolAbi, eventName: "Claimed", args: { seeder }, ...range }),
        readRebateClaims(client, { pool, seeder: seeder!, fromBlock: config.startBlock }),
      ]);
      const { credits, balance, epochs, claimableEpochs, claimable } = rebates;
      const redemptions = [
        ...vouchers.map((l) => ({
          escrowId: l.args.escrowId!,
          cumulativeBytes: l.args.cumulativeBytes!,
          paid: l.args.paid!,
          blockNumber: l.blockNumber,
          kind: "voucher" as const,
        })),
        ...releases.map((l) => ({
          escrowId: l.args.escrowId!,
          cumulativeBytes: l.args.cumulativeBytes!,
          paid: l.args.amount!,
          blockNumber: l.blockNumber,
          kind: "release" as const,
        })),
      ].sort((a, b) => Number(a.blockNumber - b.blockNumber));

      // Which content each paying escrow was for.
      const escrowIds = [...new Set(redemptions.map((r) => r.escrowId))];
      const escrowContent = new Map<bigint, bigint>();
      await Promise.all(
        escrowIds.map(async (id) => {
          const e = await client.readContract({ address: escrow, abi: checkpointEscrowAbi, functionName: "escrow", args: [id] });
          escrowContent.set(id, BigInt((e as { contentId: bigint | number }).contentId));
        }),
      );

      const byContent = new Map<bigint, ContentEarning>();
      const entry = (contentId: bigint) => {
        if (!byContent.has(contentId)) byContent.set(contentId, { contentId, escrow: 0n, rebates: 0n, bytesCredited: 0n });
        return byContent.get(contentId)!;
      };
      for (const r of redemptions) {
        const contentId = escrowContent.get(r.escrowId);
        if (contentId !== undefined) entry(contentId).escrow += r.paid;
      }
      for (const c of credits) {
        const e = entry(c.contentId);
        e.rebates += c.payout;
        e.bytesCredited += c.creditedBytes;
      }

      return {
        escrowEarned: redemptions.reduce((sum, r) => sum + r.paid, 0n),
        redemptions,
        allowanceEarned: credits.reduce((sum, c) => sum + c.payout, 0n),
        bytesCredited: credits.reduce((sum, c) => sum + c.creditedBytes, 0n),
        balance,
        epochs,
        claimableEpochs,
        claimable,
        claimed: claims.reduce((sum, c) => sum + c.args.fromBalance! + c.args.fromEpochs!, 0n),
        byContent: [...byContent.values()],
      };
    },
  });
}
