/**
 * The vouchers and receipts this tab's seeder holds, with what the chain has already paid for them: the ones worth
 * redeeming (above the seeder's redeemed amount) and submitting (above its credited bytes).
 */
import { useQuery } from "@tanstack/react-query";
import { checkpointEscrowAbi, rebatePoolAbi } from "@web3torrent/sdk/generated/contracts";
import { useEffect, useReducer } from "react";
import { useMarketClients } from "../data/useMarketSource.ts";
import { useTorrents } from "../torrent/TorrentContext.tsx";
import type { SignedStoredVoucher, StoredReceipt, StoredVoucher } from "./tabSeederStore.ts";

export interface Holdings {
  vouchers: (StoredVoucher & { redeemed: bigint })[];
  receipts: (StoredReceipt & { credited: bigint })[];
  toRedeem: (SignedStoredVoucher & { redeemed: bigint })[];
  toSubmit: (StoredReceipt & { credited: bigint })[];
  /** What redeeming would add, at most (the escrows pay what is left of their deposits). */
  redeemable: bigint;
}

export function useTabSeederHoldings() {
  const { config, client } = useMarketClients();
  const { seederStore } = useTorrents();
  const [version, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => seederStore?.subscribe(bump), [seederStore]);
  return useQuery({
    queryKey: ["tabSeederHoldings", config.chainId, seederStore, version],
    enabled: !!seederStore,
    refetchInterval: 3_000,
    queryFn: async (): Promise<Holdings> => {
      const stored = seederStore!;
      const vouchers = await Promise.all(
        stored.vouchers().map(async (v) => {
          const r = await client.readContract({
            address: config.contracts.CheckpointEscrow,
            abi: checkpointEscrowAbi,
            functionName: "redeemedBy",
            args: [BigInt(v.escrowId), v.seeder],
          });
          return { ...v, redeemed: BigInt(r.amount) };
        }),
      );
      const receipts = await Promise.all(
        stored.receipts().map(async (r) => {
          const credited = await client.readContract({
            address: config.contracts.RebatePool,
            abi: rebatePoolAbi,
            functionName: "credited",
            args: [r.leecher, r.seeder, BigInt(r.contentId)],
          });
          return { ...r, credited };
        }),
      );
      // Released checkpoints carry no signature: paid on-chain already, never redeemed (the escrow's record is
      // cumulative, so a voucher at or below what was released would pay nothing and revert the batch).
      const toRedeem = vouchers.filter(
        (v): v is SignedStoredVoucher & { redeemed: bigint } => v.signature !== null && BigInt(v.cumulativeAmount) > v.redeemed,
      );
      return {
        vouchers,
        receipts,
        toRedeem,
        toSubmit: receipts.filter((r) => BigInt(r.cumulativeBytes) > r.credited),
        redeemable: toRedeem.reduce((sum, v) => sum + BigInt(v.cumulativeAmount) - v.redeemed, 0n),
      };
    },
  });
}
