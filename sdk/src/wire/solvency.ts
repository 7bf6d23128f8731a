/**
 * The seeder's rule against a leecher that signs its deposit to others: vouchers are not reservations, so before it
 * serves past a checkpoint (and before the first interval, served on credit) a seeder checks that the escrow's
 * remaining deposit still covers the voucher it holds (what it has not redeemed yet) plus the next interval at its
 * price. Shared by the headless seeder and the tab seeder.
 *
 * NOTE: this bounds the loss only against a drain that is mined before the check; a sybil redemption racing the
 * interval just opened can still take the deposit the seeder counted on (see docs/THREAT_MODEL.md): the full bound
 * needs a reservation in the escrow.
 */
import type { Address, PublicClient } from "viem";
import { CheckpointMode, nextCheckpoint } from "../checkpointSchedule.ts";
import { checkpointEscrowAbi } from "../generated/contracts.ts";
import type { ServiceAccount } from "./accounting.ts";
import { RefusalReason } from "./messages.ts";
import type { Refusal } from "./seederExtension.ts";

/**
 * The refusal when escrow `account.escrowId` cannot pay the voucher for `voucherBytes` (worth `voucherAmount`) that
 * `seeder` holds plus the next interval; null when it can.
 */
export async function escrowCoversNextInterval(
  client: PublicClient,
  escrow: Address,
  seeder: Address,
  account: ServiceAccount,
  voucherBytes: bigint,
  voucherAmount: bigint,
): Promise<Refusal | null> {
  const escrowId = account.escrowId!;
  const blockNumber = await client.getBlockNumber({ cacheTime: 0 });
  const [remaining, redemption] = await Promise.all([
    client.readContract({ address: escrow, abi: checkpointEscrowAbi, functionName: "remaining", args: [escrowId], blockNumber }),
    client.readContract({ address: escrow, abi: checkpointEscrowAbi, functionName: "redeemedBy", args: [escrowId, seeder], blockNumber }),
  ]);
  const redeemed = BigInt(redemption.amount);
  const held = voucherAmount > redeemed ? voucherAmount - redeemed : 0n;
  const mode = account.mode === "upfront" ? CheckpointMode.Upfront : CheckpointMode.Exponential;
  const next = voucherBytes >= account.maxBytes ? account.maxBytes : nextCheckpoint(mode, voucherBytes, account.maxBytes);
  const nextInterval = account.priceOf(next) - account.priceOf(voucherBytes);
  if (remaining >= held + nextInterval) return null;
  return {
    reason: RefusalReason.EscrowExhausted,
    message: `escrow ${escrowId} has ${remaining} wei left: not enough for the voucher held (${held} wei) and the next interval (${nextInterval} wei)`,
  };
}
