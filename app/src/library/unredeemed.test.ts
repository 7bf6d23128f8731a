import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import { unredeemedAmount } from "./unredeemed.ts";
import type { EscrowPayment } from "./useMyEscrows.ts";

const A = "0x00000000000000000000000000000000000000aa" as Address;
const B = "0x00000000000000000000000000000000000000bb" as Address;
const payment = (seeder: Address, paid: bigint): EscrowPayment => ({ seeder, cumulativeBytes: 0n, paid, kind: "voucher", blockNumber: 1n });

describe("unredeemedAmount", () => {
  it("is what was signed less what each seeder redeemed, seeder by seeder", () => {
    const signed = new Map([
      [A, 48_000n],
      [B, 10_000n],
    ]);
    expect(unredeemedAmount(signed, [])).toBe(58_000n);
    expect(unredeemedAmount(signed, [payment(A, 10_000n)])).toBe(48_000n);
    // A redemption above one seeder's voucher (another tab's) does not hide what the other seeder holds.
    expect(unredeemedAmount(signed, [payment(A.toUpperCase().replace("0X", "0x") as Address, 60_000n)])).toBe(10_000n);
    expect(unredeemedAmount(signed, [payment(A, 10_000n), payment(A, 38_000n), payment(B, 10_000n)])).toBe(0n);
  });
});
