/**
 * What the session key signed to seeders that they have not redeemed on-chain yet: the gap between a download's
 * vouchers and the escrow's payments, seeder by seeder (one seeder's redemption never covers another's voucher).
 */
import type { Address } from "viem";
import type { EscrowPayment } from "./useMyEscrows.ts";

export function unredeemedAmount(signedBySeeder: Map<Address, bigint>, payments: EscrowPayment[]): bigint {
  let total = 0n;
  for (const [seeder, signed] of signedBySeeder) {
    const paid = payments.filter((p) => p.seeder.toLowerCase() === seeder.toLowerCase()).reduce((sum, p) => sum + p.paid, 0n);
    if (signed > paid) total += signed - paid;
  }
  return total;
}
