/**
 * The connected account's download escrows, from the chain: deposit, what each seeder was paid (vouchers redeemed
 * or checkpoints released), status, and the refund once closed.
 */
import { useQuery } from "@tanstack/react-query";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import type { Address } from "viem";
import { useMarketClients } from "../data/useMarketSource.ts";

/** `CheckpointEscrow.Status`, by its enum index. */
export const ESCROW_STATUS = ["None", "Open", "Closing", "Closed"] as const;

export interface EscrowPayment {
  seeder: Address;
  cumulativeBytes: bigint;
  paid: bigint;
  kind: "voucher" | "release";
  blockNumber: bigint;
}

export interface MyEscrow {
  escrowId: bigint;
  contentId: bigint;
  mode: number;
  maxBytes: bigint;
  pricePerMiB: bigint;
  deposit: bigint;
  unpaid: bigint;
  status: (typeof ESCROW_STATUS)[number];
  closesAt: bigint;
  /** Every seeder paid from it waived its challenge window: the refund need not wait for `closesAt`. */
  allWaived: boolean;
  payments: EscrowPayment[];
  /** Latest cumulative bytes paid, per seeder. */
  paidBytesBySeeder: Map<Address, bigint>;
  refunded: bigint | null;
}

/** A VoucherRedeemed or CheckpointReleased log as a payment of `paid` wei (the events name the amount differently). */
function payment(
  kind: EscrowPayment["kind"],
  log: { args: { seeder?: Address; cumulativeBytes?: bigint }; blockNumber: bigint },
  paid: bigint,
): EscrowPayment {
  return { seeder: log.args.seeder!, cumulativeBytes: log.args.cumulativeBytes!, paid, kind, blockNumber: log.blockNumber };
}

export function useMyEscrows(leecher: Address | undefined) {
  const { config, client } = useMarketClients();
  return useQuery({
    queryKey: ["myEscrows", config.chainId, leecher],
    enabled: !!leecher,
    refetchInterval: 2_000,
    queryFn: async (): Promise<MyEscrow[]> => {
      const address = config.contracts.CheckpointEscrow;
      const range = { fromBlock: config.startBlock, toBlock: "latest" as const };
      const opened = await client.getContractEvents({
        address,
        abi: checkpointEscrowAbi,
        eventName: "EscrowOpened",
        args: { leecher },
        ...range,
      });
      const ids = opened.map((l) => l.args.escrowId!);
      if (ids.length === 0) return [];
      const [vouchers, releases, refunds, states] = await Promise.all([
        client.getContractEvents({ address, abi: checkpointEscrowAbi, eventName: "VoucherRedeemed", args: { escrowId: ids }, ...range }),
        client.getContractEvents({ address, abi: checkpointEscrowAbi, eventName: "CheckpointReleased", args: { escrowId: ids }, ...range }),
        client.getContractEvents({ address, abi: checkpointEscrowAbi, eventName: "EscrowRefunded", args: { escrowId: ids }, ...range }),
        Promise.all(ids.map((id) => client.readContract({ address, abi: checkpointEscrowAbi, functionName: "escrow", args: [id] }))),
      ]);
      return opened
        .map((log, i) => {
          const id = log.args.escrowId!;
          const e = states[i];
          const payments: EscrowPayment[] = [
            ...vouchers.filter((v) => v.args.escrowId === id).map((v) => payment("voucher", v, v.args.paid!)),
            ...releases.filter((r) => r.args.escrowId === id).map((r) => payment("release", r, r.args.amount!)),
          ].sort((a, b) => Number(a.blockNumber - b.blockNumber));
          const paidBytesBySeeder = new Map<Address, bigint>();
          for (const p of payments)
            paidBytesBySeeder.set(
              p.seeder,
              p.cumulativeBytes > (paidBytesBySeeder.get(p.seeder) ?? 0n) ? p.cumulativeBytes : paidBytesBySeeder.get(p.seeder)!,
            );
          const refund = refunds.find((r) => r.args.escrowId === id);
          return {
            escrowId: id,
            contentId: log.args.contentId!,
            mode: Number(log.args.mode),
            maxBytes: BigInt(e.maxBytes),
            pricePerMiB: BigInt(e.pricePerMiB),
            deposit: BigInt(e.deposit),
            unpaid: BigInt(e.unpaid) + BigInt(e.reserved), // seeders' reservations come back at the refund too
            status: ESCROW_STATUS[Number(e.status)] ?? "Open",
            closesAt: BigInt(e.closesAt),
            allWaived: e.seeders !== 0 && e.waivers === e.seeders,
            payments,
            paidBytesBySeeder,
            refunded: refund ? refund.args.amount! : null,
          };
        })
        .reverse();
    },
  });
}
