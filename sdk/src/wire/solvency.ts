/**
 * The seeder's rule against a leecher that signs its deposit to others (issue 13): vouchers are not reservations, so a
 * seeder serves an interval only against money no one else can take. Shared by the headless seeder and the tab seeder.
 *
 * - The first interval is served on credit: before it, the escrow's `remaining` (what no seeder has reserved) must
 *   cover it. A drain during it costs the seeder at most that one interval.
 * - Past a checkpoint the seeder first redeems its voucher with `CheckpointEscrow.redeemAndReserve` (a leecher paying
 *   by transactions reserves with its `release`), which pays it and sets aside its next interval for it alone; it
 *   serves that interval only once what it has redeemed plus its reservation covers the interval's end at its price.
 *   Whatever the leecher's key signs to others, and whenever they redeem, that interval is paid.
 */
import type { Address, PublicClient } from "viem";
import { CheckpointMode, nextCheckpoint } from "../checkpointSchedule.ts";
import { checkpointEscrowAbi } from "../generated/contracts.ts";
import type { ServiceAccount } from "./accounting.ts";
import { RefusalReason } from "./messages.ts";
import type { Refusal } from "./seederExtension.ts";

/** The end of the interval a seeder that holds a voucher for `voucherBytes` serves next. */
export function nextIntervalEnd(account: ServiceAccount, voucherBytes: bigint): bigint {
  const mode = account.mode === "upfront" ? CheckpointMode.Upfront : CheckpointMode.Exponential;
  return voucherBytes >= account.maxBytes ? account.maxBytes : nextCheckpoint(mode, voucherBytes, account.maxBytes);
}

/**
 * The refusal when escrow `account.escrowId` does not guarantee `seeder` the interval after `voucherBytes` (its
 * first interval: `remaining` covers it; a later one: its redeemed amount plus its reservation cover the interval's
 * end at its price); null when it does. Call it after the reservation was mined.
 */
export async function escrowCoversNextInterval(
  client: PublicClient,
  escrow: Address,
  seeder: Address,
  account: ServiceAccount,
  voucherBytes: bigint,
): Promise<Refusal | null> {
  const escrowId = account.escrowId!;
  const blockNumber = await client.getBlockNumber({ cacheTime: 0 });
  const [remaining, redemption] = await Promise.all([
    client.readContract({ address: escrow, abi: checkpointEscrowAbi, functionName: "remaining", args: [escrowId], blockNumber }),
    client.readContract({ address: escrow, abi: checkpointEscrowAbi, functionName: "redeemedBy", args: [escrowId, seeder], blockNumber }),
  ]);
  const end = nextIntervalEnd(account, voucherBytes);
  const owed = account.priceOf(end);
  const secured = BigInt(redemption.amount) + BigInt(redemption.reserved);
  if (secured >= owed) return null;
  // Only the first interval may rest on what is unreserved: a drain during it is the one interval a seeder risks.
  if (voucherBytes === 0n && secured + remaining >= owed) return null;
  return {
    reason: RefusalReason.EscrowExhausted,
    message:
      voucherBytes === 0n
        ? `escrow ${escrowId} has ${remaining} wei left: not enough for the first interval (${owed} wei)`
        : `escrow ${escrowId} secures ${secured} wei for this seeder (redeemed and reserved): not enough for the next interval up to ${end} bytes (${owed} wei)`,
  };
}
