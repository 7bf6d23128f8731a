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
import type { Address, ContractFunctionReturnType, PublicClient } from "viem";
import { CheckpointMode, nextCheckpoint } from "../checkpointSchedule.ts";
import { checkpointEscrowAbi } from "../generated/contracts.ts";
import type { ServiceAccount } from "./accounting.ts";
import { RefusalReason } from "./messages.ts";
import type { Refusal } from "./seederExtension.ts";

/** An escrow as the chain has it at one block, with what it holds unreserved (`remaining`) and for one seeder. */
export interface EscrowFunds {
  escrow: ContractFunctionReturnType<typeof checkpointEscrowAbi, "view", "escrow">;
  remaining: bigint;
  redemption: { amount: bigint; reserved: bigint };
}

/** Escrow `escrowId` and its funds for `seeder`: one call, at the latest block. */
export async function readEscrowFunds(client: PublicClient, escrow: Address, escrowId: bigint, seeder: Address): Promise<EscrowFunds> {
  // A deployless Multicall3 (no contract to deploy): the three reads at one block, in one round trip.
  const [e, remaining, redemption] = await client.multicall({
    deployless: true,
    allowFailure: false,
    contracts: [
      { address: escrow, abi: checkpointEscrowAbi, functionName: "escrow", args: [escrowId] },
      { address: escrow, abi: checkpointEscrowAbi, functionName: "remaining", args: [escrowId] },
      { address: escrow, abi: checkpointEscrowAbi, functionName: "redeemedBy", args: [escrowId, seeder] },
    ],
  });
  return { escrow: e, remaining, redemption: { amount: BigInt(redemption.amount), reserved: BigInt(redemption.reserved) } };
}

/** The end of the interval a seeder that holds a voucher for `voucherBytes` serves next. */
export function nextIntervalEnd(account: ServiceAccount, voucherBytes: bigint): bigint {
  const mode = account.mode === "upfront" ? CheckpointMode.Upfront : CheckpointMode.Exponential;
  return voucherBytes >= account.maxBytes ? account.maxBytes : nextCheckpoint(mode, voucherBytes, account.maxBytes);
}

/**
 * The refusal when escrow `account.escrowId` does not guarantee `seeder` the interval after `voucherBytes` (its
 * first interval: `remaining` covers it; a later one: its redeemed amount plus its reservation cover the interval's
 * end at its price); null when it does. Call it after the reservation was mined; `known`: funds read since (else
 * read now).
 */
export async function escrowCoversNextInterval(
  client: PublicClient,
  escrow: Address,
  seeder: Address,
  account: ServiceAccount,
  voucherBytes: bigint,
  known?: EscrowFunds,
): Promise<Refusal | null> {
  const escrowId = account.escrowId!;
  const { remaining, redemption } = known ?? (await readEscrowFunds(client, escrow, escrowId, seeder));
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
