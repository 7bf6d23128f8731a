import { describe, expect, it } from "vitest";
import { maxTotalFor, parseSlippagePercent } from "./slippage.ts";

describe("slippage", () => {
  it("adds the tolerance to the quoted total, rounding down", () => {
    expect(maxTotalFor(10_000n, 100n)).toBe(10_100n);
    expect(maxTotalFor(999n, 50n)).toBe(1003n);
    expect(maxTotalFor(12345n, 0n)).toBe(12345n);
  });

  it("reads percentages as typed, within 0–50 %", () => {
    expect(parseSlippagePercent("1")).toBe(100n);
    expect(parseSlippagePercent("0.5")).toBe(50n);
    expect(parseSlippagePercent(" 2.25 ")).toBe(225n);
    expect(parseSlippagePercent("50")).toBe(5000n);
    expect(parseSlippagePercent("50.01")).toBeNull();
    expect(parseSlippagePercent("-1")).toBeNull();
    expect(parseSlippagePercent("1.234")).toBeNull();
    expect(parseSlippagePercent("")).toBeNull();
  });
});
