/** RebatePool: per-license allowances, credited receipts, sweeps into epoch pools, epoch finalisation, claims. */
import { BigInt, ethereum } from "@graphprotocol/graph-ts";
import {
  AllowanceFunded,
  AllowanceSwept,
  Claimed,
  EpochFinalized,
  EpochScheduleSet,
  EpochShareClaimed,
  EpochShareSettled,
  ReceiptCredited,
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
  entity.rolledForward = ZERO;
  entity.settled = false;
  entity.settledAt = null;
  return entity;
}

/** The active epoch's pool is the carry until it is finalised (RebatePool.epochInfo). */
function syncActivePool(protocol: Protocol): void {
  const active = protocol.activeEpoch;
  if (active == null) return;
  const epoch = RebateEpoch.load(active!)!;
  epoch.pool = protocol.rebateCarry;
  epoch.save();
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
  epoch.totalEarned = epoch.totalEarned.plus(p.payout);
  epoch.receiptCount = epoch.receiptCount + 1;
  // The first credits that earn something make the epoch the one the carry will go to (RebatePool.submitReceipts):
  // pools are split by earnings, so bytes that earned nothing weigh nothing.
  if (!p.payout.isZero() && protocol.activeEpoch == null) {
    protocol.activeEpoch = epoch.id;
    epoch.pool = protocol.rebateCarry;
  }
  epoch.save();

  const seederEpoch = getSeederEpoch(epoch, seeder.id);
  // Receipts that credit no bytes earn nothing and leave the seeder's epoch record alone (submitReceipts).
  if (!p.creditedBytes.isZero()) {
    seederEpoch.bytesCredited = seederEpoch.bytesCredited.plus(p.creditedBytes);
    seederEpoch.earned = seederEpoch.earned.plus(p.payout);
    seederEpoch.unsettledBytes = seederEpoch.unsettledBytes.plus(p.creditedBytes);
    seederEpoch.unsettledEarned = seederEpoch.unsettledEarned.plus(p.payout);
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

export function handleEpochFinalized(event: EpochFinalized): void {
  const epoch = getEpoch(event.params.epoch);
  epoch.pool = event.params.pool;
  epoch.totalEarned = event.params.totalEarned;
  epoch.finalized = true;
  epoch.save();

  const protocol = getProtocol();
  protocol.rebateCarry = ZERO;
  protocol.activeEpoch = null;
  protocol.save();
}

export function handleEpochShareClaimed(event: EpochShareClaimed): void {
  const p = event.params;
  recordShare("Claimed", p.seeder.toHexString(), p.epoch, p.bytesCredited, p.earned, p.amount, p.rolledForward, event);
}

/** A share settled into the seeder's balance; the carry grows by the part above the cap. */
export function handleEpochShareSettled(event: EpochShareSettled): void {
  const p = event.params;
  const protocol = getProtocol();
  const seeder = getAccount(p.seeder, protocol, event);
  seeder.rebateBalance = seeder.rebateBalance.plus(p.amount);
  seeder.save();
  protocol.rebateBalances = protocol.rebateBalances.plus(p.amount);
  addToCarry(protocol, p.rolledForward);
  protocol.save();
  recordShare("Settled", seeder.id, p.epoch, p.bytesCredited, p.earned, p.amount, p.rolledForward, event);
}

/** The pro-rata parts above the caps go to the carry, which is the active epoch's pool until it is finalised. */
function addToCarry(protocol: Protocol, amount: BigInt): void {
  protocol.rebateRolledForward = protocol.rebateRolledForward.plus(amount);
  protocol.rebateCarry = protocol.rebateCarry.plus(amount);
  syncActivePool(protocol);
}

/** Takes a seeder's share of an epoch (RebatePool._takeShare): its record is cleared, the share recorded. */
function recordShare(
  kind: string,
  seederId: string,
  epochNumber: BigInt,
  bytesCredited: BigInt,
  earned: BigInt,
  amount: BigInt,
  rolledForward: BigInt,
  event: ethereum.Event,
): void {
  const epoch = getEpoch(epochNumber);
  epoch.shares = epoch.shares.plus(amount);
  epoch.rolledForward = epoch.rolledForward.plus(rolledForward);
  epoch.save();

  const seederEpoch = getSeederEpoch(epoch, seederId);
  seederEpoch.unsettledBytes = ZERO;
  seederEpoch.unsettledEarned = ZERO;
  seederEpoch.share = amount;
  seederEpoch.rolledForward = rolledForward;
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
  share.rolledForward = rolledForward;
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
  claim.rolledForward = p.rolledForward;
  claim.timestamp = event.block.timestamp;
  claim.transactionHash = event.transaction.hash;
  claim.save();

  protocol.rebateBalances = protocol.rebateBalances.minus(p.fromBalance);
  protocol.rebateClaimed = protocol.rebateClaimed.plus(amount);
  protocol.rebateClaimedFromBalances = protocol.rebateClaimedFromBalances.plus(p.fromBalance);
  protocol.rebateClaimedFromEpochs = protocol.rebateClaimedFromEpochs.plus(p.fromEpochs);
  addToCarry(protocol, p.rolledForward);
  protocol.save();
  const day = getDailyStat(event);
  day.rebateClaimed = day.rebateClaimed.plus(amount);
  day.save();
}
