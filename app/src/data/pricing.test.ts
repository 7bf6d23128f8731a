import { describe, expect, it } from "vitest";
import { parseEther } from "viem";
import { formatGrowth, priceSummary, withFees } from "./pricing.ts";
import type { ContentRecord } from "./types.ts";

const base: ContentRecord = {
  contentId: 1n,
  infohash: `0x${"11".repeat(32)}`,
  size: 1024n,
  payout: "0x0000000000000000000000000000000000000001",
  basePrice: parseEther("0.01"),
  curve: 0,
  growth: parseEther("0.002"),
  maxSupply: 0n,
  bountyFeeBps: 500,
  transferable: false,
  supply: 0n,
  metadataURI: "",
  metadata: { name: "x", description: "", magnet: null },
};

describe("priceSummary", () => {
  it("prices the next license with both fees and the one after it", () => {
    const s = priceSummary({ ...base, supply: 2n }, 500n);
    expect(s.current?.curvePrice).toBe(parseEther("0.014"));
    expect(s.current?.networkFee).toBe(parseEther("0.0007"));
    expect(s.current?.bountyFee).toBe(parseEther("0.0007"));
    expect(s.current?.total).toBe(parseEther("0.0154"));
    expect(s.next?.curvePrice).toBe(parseEther("0.016"));
    expect(s.growthBps).toBe(4000n);
    expect(formatGrowth(s.growthBps)).toBe("+40.0%");
  });

  it("knows when a capped content is sold out, and that the last license has no successor", () => {
    expect(priceSummary({ ...base, maxSupply: 3n, supply: 3n }, 500n)).toMatchObject({
      soldOut: true,
      current: null,
      next: null,
      remaining: 0n,
    });
    const last = priceSummary({ ...base, maxSupply: 3n, supply: 2n }, 500n);
    expect(last.current).not.toBeNull();
    expect(last.next).toBeNull();
  });

  it("follows an exponential curve", () => {
    const s = priceSummary({ ...base, curve: 1, growth: 1000n, supply: 1n }, 0n);
    expect(s.current?.curvePrice).toBe(parseEther("0.011"));
    expect(formatGrowth(s.growthBps)).toBe("+10.0%");
  });
});

describe("withFees", () => {
  it("adds the fees to a curve price exactly as the quote does, to the wei", () => {
    for (const supply of [0n, 1n, 7n]) {
      const { current } = priceSummary({ ...base, supply, basePrice: 10_000_000_000_000_007n }, 333n);
      expect(withFees(current!.curvePrice, 333n, 500n)).toBe(current!.total);
    }
  });
});
