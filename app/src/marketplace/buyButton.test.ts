import { describe, expect, it } from "vitest";
import { quote } from "@web3torrent/sdk/bondingCurve";
import { parseEther } from "viem";
import { buyButtonLabel, quoteErrorForBuyer, type BuyButtonState } from "./buyButton.ts";

const ready: BuyButtonState = {
  busy: false,
  quantityValid: true,
  quoteError: null,
  quoted: true,
  recipientValid: true,
  slippageValid: true,
};

describe("buyButtonLabel", () => {
  it("says what is wrong with an invalid quantity instead of Loading quote…", () => {
    expect(buyButtonLabel({ ...ready, quantityValid: false, quoted: false })).toBe("Enter a quantity of 1 or more");
  });

  it("says a quantity too large for the curve in a buyer's words", () => {
    const label = buyButtonLabel({ ...ready, quoted: false, quoteError: "arithmetic overflow: the contract reverts" });
    expect(label).toMatch(/Too many licenses for this curve/);
    expect(label).not.toMatch(/arithmetic|revert/);
  });

  it("says Buy once a valid quantity is quoted, and Loading quote… only while the quote loads", () => {
    expect(buyButtonLabel(ready)).toBe("Buy");
    expect(buyButtonLabel({ ...ready, quoted: false })).toBe("Loading quote…");
    expect(buyButtonLabel({ ...ready, busy: true })).toBe("Buying…");
  });

  it("says the balance falls short as soon as the quantity is priced, in ETH for people", () => {
    const label = buyButtonLabel({ ...ready, shortOf: { needed: 1_234_567_890_123_456_789n, balance: 1_000_000_000_000_000n } });
    expect(label).toBe("Not enough ETH: this needs ≈1.234567 ETH, you have 0.001 ETH");
  });

  it("says 10^30 licenses of a real curve are too many, in a buyer's words", () => {
    const curves = [
      { curve: 0, basePrice: parseEther("0.01"), growth: parseEther("0.002") },
      { curve: 1, basePrice: parseEther("0.01"), growth: 100n },
    ];
    for (const params of curves) {
      let message = "";
      try {
        quote(params, 0n, 10n ** 30n, 500n, 500n);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(buyButtonLabel({ ...ready, quoted: false, quoteError: quoteErrorForBuyer(message) })).toMatch(
        /^Too many licenses for this curve/,
      );
    }
  });

  it("keeps other curve errors as they are", () => {
    expect(quoteErrorForBuyer("Only 2 licenses left.")).toBe("Only 2 licenses left.");
  });
});
