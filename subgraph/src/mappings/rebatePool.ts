/** RebatePool: per-license allowances, credited receipts, sweeps into epoch pools, epoch finalisation, claims. */
import { BigInt } from "@graphprotocol/graph-ts";
import {
  AllowanceFunded,
  AllowanceSwept,
  Claimed,
  EpochFinalized,
  EpochShareClaimed,
  ReceiptCredited,
} from "../../generated/RebatePool/RebatePool";
import {
  Claim,
  EpochShareClaim,
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
  entity.unclaimedBytes = ZERO;
  entity.claimedAmount = ZERO;
  entity.claimedAt = null;
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
  epoch.receiptCount = epoch.receiptCount + 1;
  // The first credited bytes make the epoch the one the carry will go to (RebatePool.submitReceipts).
  if (!p.creditedBytes.isZero() && protocol.activeEpoch == null) {
    protocol.activeEpoch = epoch.id;
    epoch.pool = protocol.rebateCarry;
  }
  epoch.save();

  const seederEpoch = getSeederEpoch(epoch, seeder.id);
  seederEpoch.bytesCredited = seederEpoch.bytesCredited.plus(p.creditedBytes);
  seederEpoch.unclaimedBytes = seederEpoch.unclaimedBytes.plus(p.creditedBytes);
  seederEpoch.save();

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
  epoch.totalBytes = event.params.totalBytes;
  epoch.finalized = true;
  epoch.save();

  const protocol = getProtocol();
  protocol.rebateCarry = ZERO;
  protocol.activeEpoch = null;
  protocol.save();
}

export function handleEpochShareClaimed(event: EpochShareClaimed): void {
  const p = event.params;
  const seederId = p.seeder.toHexString();
  const epoch = getEpoch(p.epoch);
  epoch.claimed = epoch.claimed.plus(p.amount);
  epoch.save();

  const seederEpoch = getSeederEpoch(epoch, seederId);
  seederEpoch.unclaimedBytes = ZERO;
  seederEpoch.claimedAmount = seederEpoch.claimedAmount.plus(p.amount);
  seederEpoch.claimedAt = event.block.timestamp;
  seederEpoch.save();

  const share = new EpochShareClaim(eventId(event));
  share.seeder = seederId;
  share.epoch = epoch.id;
  share.seederEpoch = seederEpoch.id;
  share.bytesCredited = p.bytesCredited;
  share.amount = p.amount;
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
