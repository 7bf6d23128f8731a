/**
 * RebatePool: per-license allowances (bounty fees), network fees pooled at purchase, credited receipts and their
 * weights, sweeps into the carry, epoch finalisation (an epoch keeps at most its weight), claims, surplus releases.
 * The schema's `earned` fields of epochs and seeder epochs hold weights: the network-fee part of credited bytes.
 */
import { BigInt, ethereum } from "@graphprotocol/graph-ts";
import {
  AllowanceFunded,
  AllowanceSwept,
  Claimed,
  EpochFinalized,
  EpochScheduleSet,
  EpochShareClaimed,
  EpochShareSettled,
  NetworkFeePooled,
  ReceiptCredited,
  SurplusReleased,
} from "../../generated/RebatePool/RebatePool";
import {
  Account,
  Claim,
  EpochShare,
  Protocol,
  RebateAllowance,
  RebateEpoch,
  ReceiptCredit,
  ReceiptTotal,
  SeederEpoch,
} from "../../generated/schema";
import { ZERO, eventId, getAccount, getDailyStat, getEpoch, getProtocol, pairId, touchAccount } from "../helpers";

function allowanceId(licensee: string, contentId: BigInt): string {
  return pairId(contentId.toString(), licensee);
}

function getSeederEpoch(epoch: RebateEpoch, seeder: string): SeederEpoch {
  const id = pairId(epoch.id, seeder);
  let entity = SeederEpoch.load(id);
  if (entity != null) return entity;
  entity = new SeederEpoch(id);
  entity.epoch = epoch.id;
  entity.seeder = seeder;
  entity.bytesCredited = ZERO;
  entity.earned = ZERO;
  entity.unsettledBytes = ZERO;
  entity.unsettledEarned = ZERO;
  entity.share = ZERO;
  entity.settled = false;
  entity.settledAt = null;
  return entity;
}

/** The active epoch's pool is the carry up to its weight until it is finalised (RebatePool.epochInfo). */
function syncActivePool(protocol: Protocol): void {
  const active = protocol.activeEpoch;
  if (active == null) return;
  const epoch = RebateEpoch.load(active!)!;
  epoch.pool = protocol.rebateCarry.lt(epoch.totalEarned) ? protocol.rebateCarry : epoch.totalEarned;
  epoch.save();
}

/** A purchase's network fee went into the carry: the current epoch's pool, or the next one with weight. */
export function handleNetworkFeePooled(event: NetworkFeePooled): void {
  const p = event.params;
  const epoch = getEpoch(p.epoch);
  epoch.networkFees = epoch.networkFees.plus(p.amount);
  epoch.save();
  const protocol = getProtocol();
  protocol.networkFeesPooled = protocol.networkFeesPooled.plus(p.amount);
  protocol.rebateCarry = protocol.rebateCarry.plus(p.amount);
  syncActivePool(protocol);
  protocol.save();
}

/** The owner moved the carry's surplus (what no weight can claim) out of the pool. */
export function handleSurplusReleased(event: SurplusReleased): void {
  const protocol = getProtocol();
  protocol.surplusReleased = protocol.surplusReleased.plus(event.params.amount);
  protocol.rebateCarry = protocol.rebateCarry.minus(event.params.amount);
  syncActivePool(protocol);
  protocol.save();
}

export function handleEpochScheduleSet(event: EpochScheduleSet): void {
  const protocol = getProtocol();
  protocol.rebateGenesis = event.params.genesis;
  protocol.epochDuration = event.params.epochDuration;
  protocol.allowanceExpiry = event.params.allowanceExpiry;
  protocol.save();
}

export function handleAllowanceFunded(event: AllowanceFunded): void {
  const protocol = getProtocol();
  const p = event.params;
  touchAccount(p.licensee, protocol, event);

  const id = allowanceId(p.licensee.toHexString(), p.contentId);
  let allowance = RebateAllowance.load(id);
  if (allowance == null) {
    allowance = new RebateAllowance(id);
    allowance.licensee = p.licensee.toHexString();
    allowance.content = p.contentId.toString();
    allowance.funded = ZERO;
    allowance.bytesCredited = ZERO;
    allowance.paidOut = ZERO;
    allowance.swept = ZERO;
  }
  allowance.funded = allowance.funded.plus(p.amount);
  allowance.remaining = p.remainingAfter;
  allowance.fundedAt = event.block.timestamp;
  allowance.save();

  protocol.allowanceFunded = protocol.allowanceFunded.plus(p.amount);
  protocol.save();
}

export function handleReceiptCredited(event: ReceiptCredited): void {
  const protocol = getProtocol();
  const p = event.params;
  const leecherId = p.leecher.toHexString();
  touchAccount(p.leecher, protocol, event);
  const seeder = getAccount(p.seeder, protocol, event);
  seeder.bytesServed = seeder.bytesServed.plus(p.creditedBytes);
  seeder.rebateEarned = seeder.rebateEarned.plus(p.payout);
  seeder.rebateBalance = seeder.rebateBalance.plus(p.payout);
  seeder.save();

  const allowance = RebateAllowance.load(allowanceId(leecherId, p.contentId))!;
  allowance.remaining = allowance.remaining.minus(p.payout);
  allowance.bytesCredited = allowance.bytesCredited.plus(p.creditedBytes);
  allowance.paidOut = allowance.paidOut.plus(p.payout);
  allowance.save();

  const totalId = leecherId + "-" + seeder.id + "-" + p.contentId.toString();
  let total = ReceiptTotal.load(totalId);
  if (total == null) {
    total = new ReceiptTotal(totalId);
    total.leecher = leecherId;
    total.seeder = seeder.id;
    total.content = p.contentId.toString();
    total.creditedBytes = ZERO;
    total.payout = ZERO;
    total.receiptCount = 0;
  }
  total.cumulativeBytes = p.cumulativeBytes;
  total.creditedBytes = total.creditedBytes.plus(p.creditedBytes);
  total.payout = total.payout.plus(p.payout);
  total.receiptCount = total.receiptCount + 1;
  total.save();

  const epoch = getEpoch(p.epoch);
  epoch.totalBytes = epoch.totalBytes.plus(p.creditedBytes);
  epoch.totalEarned = epoch.totalEarned.plus(p.weight);
  epoch.receiptCount = epoch.receiptCount + 1;
  // The first credits with weight make the epoch the one the carry will go to (RebatePool.submitReceipts): pools are
  // split by weight, so bytes whose license paid no network fee weigh nothing.
  if (!p.weight.isZero() && protocol.activeEpoch == null) protocol.activeEpoch = epoch.id;
  if (protocol.activeEpoch == epoch.id) {
    epoch.pool = protocol.rebateCarry.lt(epoch.totalEarned) ? protocol.rebateCarry : epoch.totalEarned;
  }
  epoch.save();

  const seederEpoch = getSeederEpoch(epoch, seeder.id);
  // Receipts that credit no bytes earn nothing and leave the seeder's epoch record alone (submitReceipts).
  if (!p.creditedBytes.isZero()) {
    seederEpoch.bytesCredited = seederEpoch.bytesCredited.plus(p.creditedBytes);
    seederEpoch.earned = seederEpoch.earned.plus(p.weight);
    seederEpoch.unsettledBytes = seederEpoch.unsettledBytes.plus(p.creditedBytes);
    seederEpoch.unsettledEarned = seederEpoch.unsettledEarned.plus(p.weight);
    seederEpoch.save();
  }

  const record = new ReceiptCredit(eventId(event));
  record.leecher = leecherId;
  record.seeder = seeder.id;
  record.content = p.contentId.toString();
  record.allowance = allowance.id;
  record.epoch = epoch.id;
  record.cumulativeBytes = p.cumulativeBytes;
  record.creditedBytes = p.creditedBytes;
  record.payout = p.payout;
  record.weight = p.weight;
  record.timestamp = event.block.timestamp;
  record.transactionHash = event.transaction.hash;
  record.save();

  protocol.receiptCount = protocol.receiptCount + 1;
  protocol.bytesCredited = protocol.bytesCredited.plus(p.creditedBytes);
  protocol.allowancePaidOut = protocol.allowancePaidOut.plus(p.payout);
  protocol.rebateBalances = protocol.rebateBalances.plus(p.payout);
  protocol.save();
  const day = getDailyStat(event);
  day.receiptCount = day.receiptCount + 1;
  day.bytesCredited = day.bytesCredited.plus(p.creditedBytes);
  day.allowancePaidOut = day.allowancePaidOut.plus(p.payout);
  day.save();
}

export function handleAllowanceSwept(event: AllowanceSwept): void {
  const protocol = getProtocol();
  const p = event.params;
  const allowance = RebateAllowance.load(allowanceId(p.licensee.toHexString(), p.contentId))!;
  allowance.remaining = allowance.remaining.minus(p.amount);
  allowance.swept = allowance.swept.plus(p.amount);
  allowance.save();

  const epoch = getEpoch(p.epoch);
  epoch.swept = epoch.swept.plus(p.amount);
  epoch.save();

  protocol.allowanceSwept = protocol.allowanceSwept.plus(p.amount);
  protocol.rebateCarry = protocol.rebateCarry.plus(p.amount);
  syncActivePool(protocol);
  protocol.save();
}

/** The epoch keeps its pool (at most its weight); what the carry held above it stays in the carry. */
export function handleEpochFinalized(event: EpochFinalized): void {
  const p = event.params;
  const epoch = getEpoch(p.epoch);
  epoch.pool = p.pool;
  epoch.totalEarned = p.totalWeight;
  epoch.rolledForward = p.rolledForward;
  epoch.finalized = true;
  epoch.save();

  const protocol = getProtocol();
  protocol.rebateCarry = p.rolledForward;
  protocol.rebateRolledForward = protocol.rebateRolledForward.plus(p.rolledForward);
  protocol.activeEpoch = null;
  protocol.save();
}

export function handleEpochShareClaimed(event: EpochShareClaimed): void {
  const p = event.params;
  recordShare("Claimed", p.seeder.toHexString(), p.epoch, p.bytesCredited, p.weight, p.amount, event);
}

/** A share settled into the seeder's balance. */
export function handleEpochShareSettled(event: EpochShareSettled): void {
  const p = event.params;
  const protocol = getProtocol();
  const seeder = getAccount(p.seeder, protocol, event);
  seeder.rebateBalance = seeder.rebateBalance.plus(p.amount);
  seeder.save();
  protocol.rebateBalances = protocol.rebateBalances.plus(p.amount);
  protocol.save();
  recordShare("Settled", seeder.id, p.epoch, p.bytesCredited, p.weight, p.amount, event);
}

/** Takes a seeder's share of an epoch (RebatePool._takeShare): its record is cleared, the share recorded. */
function recordShare(
  kind: string,
  seederId: string,
  epochNumber: BigInt,
  bytesCredited: BigInt,
  earned: BigInt,
  amount: BigInt,
  event: ethereum.Event,
): void {
  const epoch = getEpoch(epochNumber);
  epoch.shares = epoch.shares.plus(amount);
  epoch.save();

  const seederEpoch = getSeederEpoch(epoch, seederId);
  seederEpoch.unsettledBytes = ZERO;
  seederEpoch.unsettledEarned = ZERO;
  seederEpoch.share = amount;
  seederEpoch.settled = true;
  seederEpoch.settledAt = event.block.timestamp;
  seederEpoch.save();

  const seeder = Account.load(seederId)!;
  seeder.epochShares = seeder.epochShares.plus(amount);
  seeder.save();
  const protocol = getProtocol();
  protocol.epochShares = protocol.epochShares.plus(amount);
  protocol.save();

  const share = new EpochShare(eventId(event));
  share.kind = kind;
  share.seeder = seederId;
  share.epoch = epoch.id;
  share.seederEpoch = seederEpoch.id;
  share.bytesCredited = bytesCredited;
  share.earned = earned;
  share.amount = amount;
  share.timestamp = event.block.timestamp;
  share.transactionHash = event.transaction.hash;
  share.save();
}

export function handleClaimed(event: Claimed): void {
  const protocol = getProtocol();
  const p = event.params;
  const amount = p.fromBalance.plus(p.fromEpochs);
  const seeder = getAccount(p.seeder, protocol, event);
  seeder.rebateBalance = seeder.rebateBalance.minus(p.fromBalance);
  seeder.rebateClaimed = seeder.rebateClaimed.plus(amount);
  seeder.save();

  const claim = new Claim(eventId(event));
  claim.seeder = seeder.id;
  claim.fromBalance = p.fromBalance;
  claim.fromEpochs = p.fromEpochs;
  claim.amount = amount;
  claim.timestamp = event.block.timestamp;
  claim.transactionHash = event.transaction.hash;
  claim.save();

  protocol.rebateBalances = protocol.rebateBalances.minus(p.fromBalance);
  protocol.rebateClaimed = protocol.rebateClaimed.plus(amount);
  protocol.rebateClaimedFromBalances = protocol.rebateClaimedFromBalances.plus(p.fromBalance);
  protocol.rebateClaimedFromEpochs = protocol.rebateClaimedFromEpochs.plus(p.fromEpochs);
  protocol.save();
  const day = getDailyStat(event);
  day.rebateClaimed = day.rebateClaimed.plus(amount);
  day.save();
}
