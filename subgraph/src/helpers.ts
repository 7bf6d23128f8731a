/**
 * Shared by every mapping: entity ids, the protocol and daily totals, accounts, and the bonding-curve math the
 * LicenseMarket uses (contracts/libraries/BondingCurve.sol), so a content's next prices need no contract call.
 */
import { Address, BigInt, ethereum } from "@graphprotocol/graph-ts";
import { Account, DailyStat, Protocol, RebateEpoch } from "../generated/schema";

export const PROTOCOL_ID = "protocol";
export const SECONDS_PER_DAY = 86400;

export const ZERO = BigInt.fromI32(0);
export const ONE = BigInt.fromI32(1);

/** Fixed-point one and one basis point in wad, as in BondingCurve.sol. */
const WAD = BigInt.fromI32(10).pow(18);
const WAD_PER_BPS = BigInt.fromI32(10).pow(14);

/** The CurveKind enum of the contract, by its Solidity value. */
export const CURVE_LINEAR = 0;
export const CURVE_KINDS = ["Linear", "Exponential"];

/** Id of an immutable record written for one log: `<transaction hash>-<log index>`. */
export function eventId(event: ethereum.Event): string {
  return event.transaction.hash.toHexString() + "-" + event.logIndex.toString();
}

/** Id of a record keyed by two parts. */
export function pairId(a: string, b: string): string {
  return a + "-" + b;
}

/**
 * Zeroes the totals the protocol and each day keep alike. A generic function, which AssemblyScript compiles once per
 * entity type, so each entity's fields are still checked by the build.
 */
function zeroTotals<T>(totals: T): void {
  totals.purchaseCount = 0;
  totals.licensesSold = ZERO;
  totals.volume = ZERO;
  totals.curveVolume = ZERO;
  totals.networkFees = ZERO;
  totals.bountyFees = ZERO;
  totals.escrowDeposits = ZERO;
  totals.escrowPaidToSeeders = ZERO;
  totals.escrowRefunded = ZERO;
  totals.sessionDeposits = ZERO;
  totals.sessionPaidToProviders = ZERO;
  totals.sessionRefunded = ZERO;
  totals.receiptCount = 0;
  totals.bytesCredited = ZERO;
  totals.allowancePaidOut = ZERO;
  totals.rebateClaimed = ZERO;
}

/** Adds one purchase to the protocol's or a day's totals. */
export function addPurchase<T>(
  totals: T,
  quantity: BigInt,
  total: BigInt,
  curvePrice: BigInt,
  networkFee: BigInt,
  bountyFee: BigInt,
): void {
  totals.purchaseCount = totals.purchaseCount + 1;
  totals.licensesSold = totals.licensesSold.plus(quantity);
  totals.volume = totals.volume.plus(total);
  totals.curveVolume = totals.curveVolume.plus(curvePrice);
  totals.networkFees = totals.networkFees.plus(networkFee);
  totals.bountyFees = totals.bountyFees.plus(bountyFee);
}

export function getProtocol(): Protocol {
  let protocol = Protocol.load(PROTOCOL_ID);
  if (protocol != null) return protocol;
  protocol = new Protocol(PROTOCOL_ID);
  zeroTotals<Protocol>(protocol);
  protocol.accountCount = 0;
  protocol.networkFeeBps = 0;
  protocol.marketPaused = false;
  protocol.contentCount = 0;
  protocol.proceedsWithdrawn = ZERO;
  protocol.challengeWindow = ZERO;
  protocol.idleExpiry = ZERO;
  protocol.escrowPaused = false;
  protocol.escrowCount = 0;
  protocol.gracePeriod = ZERO;
  protocol.ws402Paused = false;
  protocol.resourceCount = 0;
  protocol.sessionCount = 0;
  protocol.ws402Owed = ZERO;
  protocol.allowanceFunded = ZERO;
  protocol.allowanceSwept = ZERO;
  protocol.rebateCarry = ZERO;
  protocol.activeEpoch = null;
  protocol.rebateBalances = ZERO;
  protocol.epochShares = ZERO;
  protocol.rebateRolledForward = ZERO;
  protocol.networkFeesPooled = ZERO;
  protocol.surplusReleased = ZERO;
  protocol.rebateClaimedFromBalances = ZERO;
  protocol.rebateClaimedFromEpochs = ZERO;
  protocol.rebateGenesis = ZERO;
  protocol.epochDuration = ZERO;
  protocol.allowanceExpiry = ZERO;
  return protocol;
}

/** The totals of the UTC day of `event`'s block. */
export function getDailyStat(event: ethereum.Event): DailyStat {
  const day = event.block.timestamp.toI32() / SECONDS_PER_DAY;
  const id = day.toString();
  let stat = DailyStat.load(id);
  if (stat != null) return stat;
  stat = new DailyStat(id);
  stat.day = day;
  stat.date = BigInt.fromI32(day).times(BigInt.fromI32(SECONDS_PER_DAY));
  zeroTotals<DailyStat>(stat);
  stat.contentsRegistered = 0;
  stat.escrowsOpened = 0;
  stat.sessionsOpened = 0;
  return stat;
}

/** The account of `address`, created (and counted in `protocol`) on first sight; the caller saves both. */
export function getAccount(address: Address, protocol: Protocol, event: ethereum.Event): Account {
  const id = address.toHexString();
  let account = Account.load(id);
  if (account != null) return account;
  account = new Account(id);
  account.address = address;
  account.firstSeenAt = event.block.timestamp;
  account.proceedsAccrued = ZERO;
  account.proceedsWithdrawn = ZERO;
  account.proceedsBalance = ZERO;
  account.licensesBought = ZERO;
  account.spent = ZERO;
  account.bytesServed = ZERO;
  account.rebateEarned = ZERO;
  account.epochShares = ZERO;
  account.rebateBalance = ZERO;
  account.rebateClaimed = ZERO;
  account.escrowEarned = ZERO;
  account.ws402Owed = ZERO;
  account.ws402Earned = ZERO;
  protocol.accountCount = protocol.accountCount + 1;
  return account;
}

/** Creates and saves the account of `address` if it is new. */
export function touchAccount(address: Address, protocol: Protocol, event: ethereum.Event): void {
  if (Account.load(address.toHexString()) == null) getAccount(address, protocol, event).save();
}

export function getEpoch(epoch: BigInt): RebateEpoch {
  const id = epoch.toString();
  let entity = RebateEpoch.load(id);
  if (entity != null) return entity;
  entity = new RebateEpoch(id);
  entity.epoch = epoch;
  const protocol = getProtocol();
  entity.startsAt = protocol.rebateGenesis.plus(epoch.times(protocol.epochDuration));
  entity.endsAt = entity.startsAt.plus(protocol.epochDuration);
  entity.totalBytes = ZERO;
  entity.totalEarned = ZERO;
  entity.pool = ZERO;
  entity.finalized = false;
  entity.swept = ZERO;
  entity.shares = ZERO;
  entity.rolledForward = ZERO;
  entity.networkFees = ZERO;
  entity.receiptCount = 0;
  return entity;
}

export function max(a: BigInt, b: BigInt): BigInt {
  return a.gt(b) ? a : b;
}

export function min(a: BigInt, b: BigInt): BigInt {
  return a.lt(b) ? a : b;
}

/** `x^n` in wad by exponentiation by squaring, each product rounded down: BondingCurve.rpow. */
function rpow(base: BigInt, exponent: u64): BigInt {
  let x = base;
  let n = exponent;
  let z = WAD;
  while (n != 0) {
    if ((n & 1) != 0) z = z.times(x).div(WAD);
    n = n >> 1;
    if (n != 0) x = x.times(x).div(WAD);
  }
  return z;
}

/** The curve price of license number `index` (0-based): BondingCurve.cost(curve, base, growth, index, 1). */
export function licensePrice(curve: i32, base: BigInt, growth: BigInt, index: BigInt): BigInt {
  if (curve == CURVE_LINEAR) return base.plus(growth.times(index));
  if (growth.isZero()) return base;
  const ratio = WAD.plus(growth.times(WAD_PER_BPS));
  const n = index.toU64();
  return base.times(rpow(ratio, n + 1).minus(rpow(ratio, n))).div(ratio.minus(WAD));
}
