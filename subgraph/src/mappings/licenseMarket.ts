/** LicenseMarket: contents, purchases and price history, license holdings (ERC-1155), publisher proceeds. */
import { Address, BigInt, ethereum } from "@graphprotocol/graph-ts";
import {
  ContentRegistered,
  LicensesPurchased,
  NetworkFeeUpdated,
  Paused,
  ProceedsWithdrawn,
  TransferBatch,
  TransferSingle,
  Unpaused,
} from "../../generated/LicenseMarket/LicenseMarket";
import { Content, License, PricePoint, ProceedsWithdrawal, Protocol, Purchase } from "../../generated/schema";
import {
  CURVE_KINDS,
  CURVE_LINEAR,
  ONE,
  ZERO,
  addPurchase,
  eventId,
  getAccount,
  getDailyStat,
  getProtocol,
  licensePrice,
  pairId,
  touchAccount,
} from "../helpers";

export function handleNetworkFeeUpdated(event: NetworkFeeUpdated): void {
  const protocol = getProtocol();
  protocol.networkFeeBps = event.params.newFeeBps;
  protocol.save();
}

export function handlePaused(event: Paused): void {
  const protocol = getProtocol();
  protocol.marketPaused = true;
  protocol.save();
}

export function handleUnpaused(event: Unpaused): void {
  const protocol = getProtocol();
  protocol.marketPaused = false;
  protocol.save();
}

export function handleContentRegistered(event: ContentRegistered): void {
  const protocol = getProtocol();
  const p = event.params;
  touchAccount(p.publisher, protocol, event);
  touchAccount(p.payout, protocol, event);

  const content = new Content(p.contentId.toString());
  content.contentId = p.contentId;
  content.publisher = p.publisher.toHexString();
  content.payout = p.payout.toHexString();
  content.infohash = p.infohash;
  content.size = p.size;
  content.metadataURI = p.metadataURI;
  content.curve = CURVE_KINDS[p.curve];
  content.basePrice = p.basePrice;
  content.growth = p.growth;
  content.maxSupply = p.maxSupply;
  content.bountyFeeBps = p.bountyFeeBps;
  content.transferable = p.transferable;
  content.registeredAt = event.block.timestamp;
  content.registeredAtBlock = event.block.number;
  content.supply = ZERO;
  content.currentPrice = licensePrice(p.curve, p.basePrice, p.growth, ZERO);
  content.nextPrice = licensePrice(p.curve, p.basePrice, p.growth, ONE);
  content.lastPrice = ZERO;
  content.soldOut = false;
  content.volume = ZERO;
  content.curveVolume = ZERO;
  content.networkFees = ZERO;
  content.bountyFees = ZERO;
  content.purchaseCount = 0;
  content.holderCount = 0;
  content.save();

  protocol.contentCount = protocol.contentCount + 1;
  protocol.save();
  const day = getDailyStat(event);
  day.contentsRegistered = day.contentsRegistered + 1;
  day.save();
}

export function handleLicensesPurchased(event: LicensesPurchased): void {
  const protocol = getProtocol();
  const p = event.params;
  const total = p.curvePrice.plus(p.networkFee).plus(p.bountyFee);
  const content = Content.load(p.contentId.toString())!;
  const curve = content.curve == CURVE_KINDS[CURVE_LINEAR] ? CURVE_LINEAR : CURVE_LINEAR + 1;
  const averagePrice = p.curvePrice.div(p.quantity);

  content.supply = p.newSupply;
  content.currentPrice = p.nextPrice;
  content.nextPrice = licensePrice(curve, content.basePrice, content.growth, p.newSupply.plus(ONE));
  content.lastPrice = averagePrice;
  content.soldOut = !content.maxSupply.isZero() && p.newSupply.ge(content.maxSupply);
  content.volume = content.volume.plus(total);
  content.curveVolume = content.curveVolume.plus(p.curvePrice);
  content.networkFees = content.networkFees.plus(p.networkFee);
  content.bountyFees = content.bountyFees.plus(p.bountyFee);
  content.purchaseCount = content.purchaseCount + 1;
  content.save();

  const buyer = getAccount(p.buyer, protocol, event);
  buyer.licensesBought = buyer.licensesBought.plus(p.quantity);
  buyer.spent = buyer.spent.plus(total);
  buyer.save();
  touchAccount(p.recipient, protocol, event);
  const payout = getAccount(Address.fromString(content.payout), protocol, event);
  payout.proceedsAccrued = payout.proceedsAccrued.plus(p.curvePrice);
  payout.proceedsBalance = payout.proceedsBalance.plus(p.curvePrice);
  payout.save();

  const id = eventId(event);
  const purchase = new Purchase(id);
  purchase.content = content.id;
  purchase.buyer = buyer.id;
  purchase.recipient = p.recipient.toHexString();
  purchase.quantity = p.quantity;
  purchase.curvePrice = p.curvePrice;
  purchase.networkFee = p.networkFee;
  purchase.bountyFee = p.bountyFee;
  purchase.total = total;
  purchase.newSupply = p.newSupply;
  purchase.nextPrice = p.nextPrice;
  purchase.timestamp = event.block.timestamp;
  purchase.blockNumber = event.block.number;
  purchase.transactionHash = event.transaction.hash;
  purchase.save();

  const point = new PricePoint(id);
  point.content = content.id;
  point.price = averagePrice;
  point.nextPrice = p.nextPrice;
  point.supply = p.newSupply;
  point.timestamp = event.block.timestamp;
  point.blockNumber = event.block.number;
  point.save();

  addPurchase(protocol, p.quantity, total, p.curvePrice, p.networkFee, p.bountyFee);
  protocol.save();

  const day = getDailyStat(event);
  addPurchase(day, p.quantity, total, p.curvePrice, p.networkFee, p.bountyFee);
  day.save();
}

export function handleProceedsWithdrawn(event: ProceedsWithdrawn): void {
  const protocol = getProtocol();
  const account = getAccount(event.params.account, protocol, event);
  account.proceedsWithdrawn = account.proceedsWithdrawn.plus(event.params.amount);
  account.proceedsBalance = account.proceedsBalance.minus(event.params.amount);
  account.save();

  const withdrawal = new ProceedsWithdrawal(eventId(event));
  withdrawal.account = account.id;
  withdrawal.amount = event.params.amount;
  withdrawal.timestamp = event.block.timestamp;
  withdrawal.transactionHash = event.transaction.hash;
  withdrawal.save();

  protocol.proceedsWithdrawn = protocol.proceedsWithdrawn.plus(event.params.amount);
  protocol.save();
}

export function handleTransferSingle(event: TransferSingle): void {
  const protocol = getProtocol();
  moveLicenses(event.params.from, event.params.to, event.params.id, event.params.value, protocol, event);
  protocol.save();
}

export function handleTransferBatch(event: TransferBatch): void {
  const protocol = getProtocol();
  const ids = event.params.ids;
  const values = event.params.values;
  for (let i = 0; i < ids.length; i++) {
    moveLicenses(event.params.from, event.params.to, ids[i], values[i], protocol, event);
  }
  protocol.save();
}

/** Moves `amount` licenses of `contentId` between holdings; the zero address stands for minting. */
function moveLicenses(from: Address, to: Address, contentId: BigInt, amount: BigInt, protocol: Protocol, event: ethereum.Event): void {
  // ERC-1155 allows transfers of nothing; they change no holding.
  if (amount.isZero()) return;
  const content = Content.load(contentId.toString())!;
  if (from.notEqual(Address.zero())) {
    const held = License.load(pairId(content.id, from.toHexString()))!;
    held.balance = held.balance.minus(amount);
    held.updatedAt = event.block.timestamp;
    held.save();
    if (held.balance.isZero()) content.holderCount = content.holderCount - 1;
  }
  if (to.notEqual(Address.zero())) {
    touchAccount(to, protocol, event);
    const id = pairId(content.id, to.toHexString());
    let held = License.load(id);
    if (held == null) {
      held = new License(id);
      held.content = content.id;
      held.holder = to.toHexString();
      held.balance = ZERO;
      held.acquiredAt = event.block.timestamp;
    }
    if (held.balance.isZero()) content.holderCount = content.holderCount + 1;
    held.balance = held.balance.plus(amount);
    held.updatedAt = event.block.timestamp;
    held.save();
  }
  content.save();
}
