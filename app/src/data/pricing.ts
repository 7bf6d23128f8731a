/**
 * Prices of a content from the sdk's closed-form curve math (the same numbers as `LicenseMarket.quote`, to the
 * wei): what the next license costs with fees, the one after it, growth since the base price.
 */
import { quote, type Quote } from "@web3torrent/sdk/bondingCurve";
import type { ContentRecord } from "./types.ts";

export interface PriceSummary {
  /** Cost of the next license: curve price, network fee, bounty fee, total. */
  current: Quote | null;
  /** Cost of the license after that one, fees included: what the next buyer pays. */
  next: Quote | null;
  /** Growth of the current curve price over the base price, in basis points. */
  growthBps: bigint;
  soldOut: boolean;
  remaining: bigint | null;
}

function remaining(c: ContentRecord): bigint | null {
  return c.maxSupply === 0n ? null : c.maxSupply - c.supply;
}

export function quoteFor(c: ContentRecord, networkFeeBps: bigint, quantity: bigint, supply = c.supply): Quote {
  return quote({ curve: c.curve, basePrice: c.basePrice, growth: c.growth }, supply, quantity, networkFeeBps, BigInt(c.bountyFeeBps));
}

/** A curve price as buyers pay it, fees included: the marketplace's one price convention (as `quote` adds them). */
export function withFees(curvePrice: bigint, networkFeeBps: bigint, bountyFeeBps: bigint): bigint {
  return curvePrice + (curvePrice * networkFeeBps) / 10_000n + (curvePrice * bountyFeeBps) / 10_000n;
}

export function priceSummary(c: ContentRecord, networkFeeBps: bigint): PriceSummary {
  const left = remaining(c);
  const soldOut = left !== null && left <= 0n;
  let current: Quote | null = null;
  let next: Quote | null = null;
  try {
    if (!soldOut) current = quoteFor(c, networkFeeBps, 1n);
    if (!soldOut && (left === null || left > 1n)) next = quoteFor(c, networkFeeBps, 1n, c.supply + 1n);
  } catch {
    // Past uint256 the contract reverts too: the curve has nothing more to sell.
  }
  const price = current?.curvePrice ?? c.basePrice;
  const growthBps = c.basePrice === 0n ? 0n : ((price - c.basePrice) * 10_000n) / c.basePrice;
  return { current, next, growthBps, soldOut, remaining: left };
}

export function formatGrowth(bps: bigint): string {
  const pct = Number(bps) / 100;
  return `${pct >= 0 ? "+" : ""}${pct.toFixed(pct !== 0 && Math.abs(pct) < 10 ? 2 : 1)}%`;
}
