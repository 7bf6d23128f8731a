/** What the app shows about contents and licenses, whichever source (chain or GraphQL) it was read from. */
import type { Address, Hex } from "viem";

export interface ContentMetadata {
  name: string;
  description: string;
  /** Magnet link with the trackers, when the publisher gave one. */
  magnet: string | null;
}

export interface ContentRecord {
  contentId: bigint;
  infohash: Hex;
  size: bigint;
  payout: Address;
  basePrice: bigint;
  /** 0 linear, 1 exponential (the contract's CurveKind). */
  curve: number;
  growth: bigint;
  maxSupply: bigint;
  bountyFeeBps: number;
  transferable: boolean;
  supply: bigint;
  metadataURI: string;
  metadata: ContentMetadata;
}

export interface PricePoint {
  /** Curve price per license paid (average over a batch). */
  price: bigint;
  nextPrice: bigint;
  supply: bigint;
  blockNumber: bigint;
  timestamp: bigint | null;
}

export interface LicenseHolding {
  contentId: bigint;
  balance: bigint;
}

/** A purchase as the buyer's library and ROI need it. */
export interface PurchaseRecord {
  contentId: bigint;
  quantity: bigint;
  total: bigint;
  blockNumber: bigint;
}
