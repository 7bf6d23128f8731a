/** WS402Deposits: time-metered resources, session deposits, settlements, reclaims and deferred payments. */
import { Address, BigInt, ethereum } from "@graphprotocol/graph-ts";
import {
  CloseRequested,
  GracePeriodUpdated,
  Paused,
  PaymentDeferred,
  ResourceRegistered,
  ResourceUpdated,
  SessionOpened,
  SessionReclaimed,
  SessionSettled,
  Unpaused,
  Withdrawn,
} from "../../generated/WS402Deposits/WS402Deposits";
import { WS402Resource, WS402Session } from "../../generated/schema";
import { ZERO, getAccount, getDailyStat, getProtocol, touchAccount } from "../helpers";

export function handleGracePeriodUpdated(event: GracePeriodUpdated): void {
  const protocol = getProtocol();
  protocol.gracePeriod = event.params.newGracePeriod;
  protocol.save();
}

export function handlePaused(event: Paused): void {
  const protocol = getProtocol();
  protocol.ws402Paused = true;
  protocol.save();
}

export function handleUnpaused(event: Unpaused): void {
  const protocol = getProtocol();
  protocol.ws402Paused = false;
  protocol.save();
}

export function handleResourceRegistered(event: ResourceRegistered): void {
  const protocol = getProtocol();
  const p = event.params;
  touchAccount(p.provider, protocol, event);
  touchAccount(p.payout, protocol, event);

  const resource = new WS402Resource(p.resourceId.toString());
  resource.resourceId = p.resourceId;
  resource.provider = p.provider.toHexString();
  resource.payout = p.payout.toHexString();
  resource.pricePerSecond = p.pricePerSecond;
  resource.metadataURI = p.metadataURI;
  resource.sessionCount = 0;
  resource.revenue = ZERO;
  resource.save();

  protocol.resourceCount = protocol.resourceCount + 1;
  protocol.save();
}

export function handleResourceUpdated(event: ResourceUpdated): void {
  const protocol = getProtocol();
  const p = event.params;
  touchAccount(p.payout, protocol, event);
  protocol.save();

  const resource = WS402Resource.load(p.resourceId.toString())!;
  resource.payout = p.payout.toHexString();
  resource.pricePerSecond = p.pricePerSecond;
  resource.metadataURI = p.metadataURI;
  resource.save();
}

export function handleSessionOpened(event: SessionOpened): void {
  const protocol = getProtocol();
  const p = event.params;
  touchAccount(p.user, protocol, event);

  const session = new WS402Session(p.sessionId.toString());
  session.sessionId = p.sessionId;
  session.resource = p.resourceId.toString();
  session.user = p.user.toHexString();
  session.sessionKey = p.sessionKey;
  session.pricePerSecond = p.pricePerSecond;
  session.maxSeconds = p.maxSeconds;
  session.deposit = p.deposit;
  session.status = "Open";
  session.openedAt = event.block.timestamp;
  session.closeDeadline = ZERO;
  session.elapsedSeconds = ZERO;
  session.paidToProvider = ZERO;
  session.refundedToUser = ZERO;
  session.closedAt = null;
  session.save();

  const resource = WS402Resource.load(session.resource)!;
  resource.sessionCount = resource.sessionCount + 1;
  resource.save();

  protocol.sessionCount = protocol.sessionCount + 1;
  protocol.sessionDeposits = protocol.sessionDeposits.plus(p.deposit);
  protocol.save();
  const day = getDailyStat(event);
  day.sessionsOpened = day.sessionsOpened + 1;
  day.sessionDeposits = day.sessionDeposits.plus(p.deposit);
  day.save();
}

export function handleSessionSettled(event: SessionSettled): void {
  const p = event.params;
  const session = WS402Session.load(p.sessionId.toString())!;
  session.status = "Settled";
  session.elapsedSeconds = p.elapsedSeconds;
  session.paidToProvider = p.paidToProvider;
  session.refundedToUser = p.refundedToUser;
  session.closedAt = event.block.timestamp;
  session.save();

  const resource = WS402Resource.load(session.resource)!;
  resource.revenue = resource.revenue.plus(p.paidToProvider);
  resource.save();

  // The provider's share goes to the resource's payout address at the time of settlement.
  const protocol = getProtocol();
  const payout = getAccount(Address.fromString(resource.payout), protocol, event);
  payout.ws402Earned = payout.ws402Earned.plus(p.paidToProvider);
  payout.save();

  protocol.sessionPaidToProviders = protocol.sessionPaidToProviders.plus(p.paidToProvider);
  protocol.sessionRefunded = protocol.sessionRefunded.plus(p.refundedToUser);
  protocol.save();
  const day = getDailyStat(event);
  day.sessionPaidToProviders = day.sessionPaidToProviders.plus(p.paidToProvider);
  day.sessionRefunded = day.sessionRefunded.plus(p.refundedToUser);
  day.save();
}

export function handleCloseRequested(event: CloseRequested): void {
  const session = WS402Session.load(event.params.sessionId.toString())!;
  session.closeDeadline = event.params.deadline;
  session.save();
}

export function handleSessionReclaimed(event: SessionReclaimed): void {
  const session = WS402Session.load(event.params.sessionId.toString())!;
  session.status = "Reclaimed";
  session.refundedToUser = event.params.amount;
  session.closedAt = event.block.timestamp;
  session.save();

  const protocol = getProtocol();
  protocol.sessionRefunded = protocol.sessionRefunded.plus(event.params.amount);
  protocol.save();
  const day = getDailyStat(event);
  day.sessionRefunded = day.sessionRefunded.plus(event.params.amount);
  day.save();
}

export function handlePaymentDeferred(event: PaymentDeferred): void {
  addOwed(event, event.params.account, event.params.amount);
}

export function handleWithdrawn(event: Withdrawn): void {
  addOwed(event, event.params.account, event.params.amount.neg());
}

/** A payment deferred to a pull balance (`delta` above 0) or withdrawn (below): the account's and the total move alike. */
function addOwed(event: ethereum.Event, address: Address, delta: BigInt): void {
  const protocol = getProtocol();
  const account = getAccount(address, protocol, event);
  account.ws402Owed = account.ws402Owed.plus(delta);
  account.save();
  protocol.ws402Owed = protocol.ws402Owed.plus(delta);
  protocol.save();
}
