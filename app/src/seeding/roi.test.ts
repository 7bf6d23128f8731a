import { describe, expect, it } from "vitest";
import { formatRoi, roiBps } from "./roi.ts";

describe("roi", () => {
  it("sets earnings against the license cost", () => {
    expect(roiBps(150n, 100n)).toBe(5000n);
    expect(roiBps(25n, 100n)).toBe(-7500n);
    expect(formatRoi(roiBps(150n, 100n))).toBe("+50.0%");
    expect(formatRoi(roiBps(0n, 100n))).toBe("-100.0%");
  });

  it("has no ROI without a cost (a publisher seeding its own content)", () => {
    expect(roiBps(10n, 0n)).toBeNull();
    expect(formatRoi(null)).toBe("—");
  });
});
