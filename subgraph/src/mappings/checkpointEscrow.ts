/**
 * CheckpointEscrow: download deposits, seeder payments by voucher or release, the seeders' reservations of their
 * next interval, closes and refunds.
 */
import { Address, BigInt, ethereum } from "@graphprotocol/graph-ts";
import {
  ChallengeWaived,
  ChallengeWindowUpdated,
  CheckpointReleased,
  EscrowClosing,
  EscrowOpened,
  EscrowRefunded,
  IdleExpiryUpdated,
  IntervalReserved,
  Paused,
  Unpaused,
  VoucherRedeemed,
} from "../../generated/CheckpointEscrow/CheckpointEscrow";
import { Escrow, EscrowSeeder, VoucherRedemption } from "../../generated/schema";
import { ZERO, eventId, getAccount, getDailyStat, getProtocol, max, min, pairId, touchAccount } from "../helpers";

/** The Mode enum of the contract, by its Solidity value. */
const MODES = ["Exponential", "Upfront"];

export function handleChallengeWindowUpdated(event: ChallengeWindowUpdated): void {
  const protocol = getProtocol();
  protocol.challengeWindow = event.params.newWindow;
  protocol.save();
}

export function handleIdleExpiryUpdated(event: IdleExpiryUpdated): void {
  const protocol = getProtocol();
  protocol.idleExpiry = event.params.newExpiry;
  protocol.save();
}

export function handlePaused(event: Paused): void {
  const protocol = getProtocol();
  protocol.escrowPaused = true;
  protocol.save();
}

export function handleUnpaused(event: Unpaused): void {
  const protocol = getProtocol();
  protocol.escrowPaused = false;
  protocol.save();
}

export function handleEscrowOpened(event: EscrowOpened): void {
  const protocol = getProtocol();
  const p = event.params;
  touchAccount(p.leecher, protocol, event);

  const escrow = new Escrow(p.escrowId.toString());
  escrow.escrowId = p.escrowId;
  escrow.leecher = p.leecher.toHexString();
  escrow.content = p.contentId.toString();
  escrow.sessionKey = p.sessionKey;
  escrow.mode = MODES[p.mode];
  escrow.maxBytes = p.maxBytes;
  escrow.pricePerMiB = p.pricePerMiB;
  escrow.deposit = p.deposit;
  escrow.paid = ZERO;
  escrow.unpaid = p.deposit;
  escrow.reserved = ZERO;
  escrow.remaining = p.deposit;
  escrow.status = "Open";
  escrow.seederCount = 0;
  escrow.waivers = 0;
  escrow.openedAt = event.block.timestamp;
  escrow.lastActivity = event.block.timestamp;
  escrow.closesAt = null;
  escrow.refunded = ZERO;
  escrow.refundedAt = null;
  escrow.save();

  protocol.escrowCount = protocol.escrowCount + 1;
  protocol.escrowDeposits = protocol.escrowDeposits.plus(p.deposit);
  protocol.save();
  const day = getDailyStat(event);
  day.escrowsOpened = day.escrowsOpened + 1;
  day.escrowDeposits = day.escrowDeposits.plus(p.deposit);
  day.save();
}

export function handleVoucherRedeemed(event: VoucherRedeemed): void {
  const p = event.params;
  recordPayment(p.escrowId, p.seeder, p.cumulativeBytes, p.cumulativeAmount, p.paid, "Voucher", event);
}

export function handleCheckpointReleased(event: CheckpointReleased): void {
  const p = event.params;
  // A release pays up to the checkpoint's price, so the seeder's new total is the cumulative amount.
  recordPayment(p.escrowId, p.seeder, p.cumulativeBytes, ZERO, p.amount, "Release", event);
}

/** Books `paid` from an escrow to a seeder, as CheckpointEscrow._credit does. */
function recordPayment(
  escrowId: BigInt,
  seederAddress: Address,
  cumulativeBytes: BigInt,
  cumulativeAmount: BigInt,
  paid: BigInt,
  kind: string,
  event: ethereum.Event,
): void {
  const protocol = getProtocol();
  const escrow = Escrow.load(escrowId.toString())!;
  const seeder = getAccount(seederAddress, protocol, event);
  seeder.escrowEarned = seeder.escrowEarned.plus(paid);
  seeder.save();

  const record = getEscrowSeeder(escrow, seeder.id);
  if (record.amount.isZero()) escrow.seederCount = escrow.seederCount + 1;
  record.amount = record.amount.plus(paid);
  record.cumulativeBytes = max(record.cumulativeBytes, cumulativeBytes);
  // The seeder's own reservation pays first, the rest comes from what nobody reserved.
  const fromReservation = min(paid, record.reserved);
  record.reserved = record.reserved.minus(fromReservation);
  record.save();

  escrow.paid = escrow.paid.plus(paid);
  escrow.reserved = escrow.reserved.minus(fromReservation);
  escrow.unpaid = escrow.unpaid.minus(paid.minus(fromReservation));
  escrow.remaining = escrow.unpaid;
  escrow.lastActivity = event.block.timestamp;
  escrow.save();

  const payment = new VoucherRedemption(eventId(event));
  payment.escrow = escrow.id;
  payment.seeder = seeder.id;
  payment.kind = kind;
  payment.cumulativeBytes = cumulativeBytes;
  payment.cumulativeAmount = kind == "Release" ? record.amount : cumulativeAmount;
  payment.paid = paid;
  payment.timestamp = event.block.timestamp;
  payment.transactionHash = event.transaction.hash;
  payment.save();

  protocol.escrowPaidToSeeders = protocol.escrowPaidToSeeders.plus(paid);
  protocol.save();
  const day = getDailyStat(event);
  day.escrowPaidToSeeders = day.escrowPaidToSeeders.plus(paid);
  day.save();
}

/** The seeder's reservation replaced by `amount`: its previous one went back to what any seeder can be paid. */
export function handleIntervalReserved(event: IntervalReserved): void {
  const p = event.params;
  const escrow = Escrow.load(p.escrowId.toString())!;
  const seederId = p.seeder.toHexString();
  // A zero reservation for a seeder the escrow has no record of (its deposit ran dry) changes nothing.
  if (p.amount.isZero() && EscrowSeeder.load(pairId(escrow.id, seederId)) == null) return;
  const protocol = getProtocol();
  touchAccount(p.seeder, protocol, event);
  protocol.save();
  const record = getEscrowSeeder(escrow, seederId);
  const previous = record.reserved;
  record.reserved = p.amount;
  record.save();
  escrow.unpaid = escrow.unpaid.plus(previous).minus(p.amount);
  escrow.reserved = escrow.reserved.minus(previous).plus(p.amount);
  escrow.remaining = escrow.unpaid;
  escrow.save();
}

/** The record of what `seederId` redeemed from `escrow`, new (and unsaved) if it has none. */
function getEscrowSeeder(escrow: Escrow, seederId: string): EscrowSeeder {
  const recordId = pairId(escrow.id, seederId);
  let record = EscrowSeeder.load(recordId);
  if (record == null) {
    record = new EscrowSeeder(recordId);
    record.escrow = escrow.id;
    record.seeder = seederId;
    record.amount = ZERO;
    record.cumulativeBytes = ZERO;
    record.reserved = ZERO;
    record.waived = false;
  }
  return record;
}

export function handleEscrowClosing(event: EscrowClosing): void {
  const escrow = Escrow.load(event.params.escrowId.toString())!;
  escrow.status = "Closing";
  escrow.closesAt = event.params.closesAt;
  escrow.save();
}

export function handleChallengeWaived(event: ChallengeWaived): void {
  const escrow = Escrow.load(event.params.escrowId.toString())!;
  escrow.waivers = escrow.waivers + 1;
  escrow.save();
  const record = EscrowSeeder.load(pairId(escrow.id, event.params.seeder.toHexString()))!;
  record.waived = true;
  record.save();
}

export function handleEscrowRefunded(event: EscrowRefunded): void {
  const escrow = Escrow.load(event.params.escrowId.toString())!;
  escrow.status = "Closed";
  escrow.refunded = event.params.amount;
  escrow.refundedAt = event.block.timestamp;
  escrow.remaining = ZERO;
  escrow.save();

  const protocol = getProtocol();
  protocol.escrowRefunded = protocol.escrowRefunded.plus(event.params.amount);
  protocol.save();
  const day = getDailyStat(event);
  day.escrowRefunded = day.escrowRefunded.plus(event.params.amount);
  day.save();
}
