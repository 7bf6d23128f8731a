/** CheckpointEscrow: release, upfront mode, multi-source. Set-up in `helpers/escrowFixtures.ts`. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { zeroAddress } from "viem";
import { amountFor } from "@web3torrent/sdk/checkpointSchedule";
import {
  viem,
  loadFixture,
  UPFRONT,
  PRICE,
  MAX_BYTES,
  DEPOSIT,
  MIB_10,
  MIB_30,
  MIB_70,
  deployed,
  opened,
  openEscrow,
  signed,
  closeAndWait,
} from "./helpers/escrowFixtures.ts";

describe("CheckpointEscrow", () => {
  describe("release", () => {
    it("lets the leecher pay a checkpoint on-chain, sharing the seeder's record with vouchers", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA } = system;
      const amount = amountFor(MIB_10, PRICE);
      const tx = escrow.write.release([1n, seederA.account.address, MIB_10, PRICE], { account: leecher.account });
      await viem.assertions.balancesHaveChanged(tx, [
        { address: seederA.account.address, amount },
        { address: escrow.address, amount: -amount },
      ]);
      await viem.assertions.emitWithArgs(tx, escrow, "CheckpointReleased", [1n, seederA.account.address, MIB_10, amount]);
      // The release also reserves the seeder's next interval (to 30 MiB) at its price, as redeemAndReserve does.
      assert.deepEqual(await escrow.read.redeemedBy([1n, seederA.account.address]), {
        amount,
        cumulativeBytes: MIB_10,
        waived: false,
        reserved: amountFor(MIB_30, PRICE) - amount,
      });
      // A voucher for 20 MiB pays only what the release did not.
      const twenty = 2n * MIB_10;
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: twenty });
      await viem.assertions.balancesHaveChanged(escrow.write.redeem([v, sig]), [
        { address: seederA.account.address, amount: amountFor(twenty, PRICE) - amount },
      ]);
      // And a release of a checkpoint already covered by a voucher is refused.
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.release([1n, seederA.account.address, MIB_10, PRICE], { account: leecher.account }),
        escrow,
        "CheckpointNotNewer",
        [amount, amountFor(twenty, PRICE)],
      );
      await escrow.write.release([1n, seederA.account.address, MIB_30, PRICE], { account: leecher.account });
      assert.equal((await escrow.read.redeemedBy([1n, seederA.account.address])).amount, amountFor(MIB_30, PRICE));
    });

    it("pays the seeder's own price when it is below the cap, never above the cap: PricePerMiBOutOfRange", async () => {
      const { escrow, leecher, seederA } = await loadFixture(opened);
      const sellerPrice = PRICE / 4n;
      const tx = escrow.write.release([1n, seederA.account.address, MIB_10, sellerPrice], { account: leecher.account });
      await viem.assertions.balancesHaveChanged(tx, [{ address: seederA.account.address, amount: amountFor(MIB_10, sellerPrice) }]);
      await escrow.write.release([1n, seederA.account.address, MIB_30, sellerPrice], { account: leecher.account });
      assert.equal((await escrow.read.redeemedBy([1n, seederA.account.address])).amount, amountFor(MIB_30, sellerPrice));
      // What no seeder reserved: the release reserved the seeder's next interval (to 70 MiB) at its price.
      const reserved = amountFor(MIB_70, sellerPrice) - amountFor(MIB_30, sellerPrice);
      assert.equal((await escrow.read.redeemedBy([1n, seederA.account.address])).reserved, reserved);
      assert.equal(await escrow.read.remaining([1n]), DEPOSIT - amountFor(MIB_30, sellerPrice) - reserved);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.release([1n, seederA.account.address, MIB_70, PRICE + 1n], { account: leecher.account }),
        escrow,
        "PricePerMiBOutOfRange",
        [PRICE + 1n, PRICE],
      );
    });

    it("accepts only checkpoints of the escrow's schedule: NotACheckpoint", async () => {
      const { escrow, leecher, seederA } = await loadFixture(opened);
      for (const bytes of [0n, MIB_10 - 1n, MIB_10 + 1n, 2n * MIB_10, MAX_BYTES - 1n, MAX_BYTES + 1n]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          escrow.write.release([1n, seederA.account.address, bytes, PRICE], { account: leecher.account }),
          escrow,
          "NotACheckpoint",
          [bytes],
        );
      }
      await escrow.write.release([1n, seederA.account.address, MAX_BYTES, PRICE], { account: leecher.account });
      assert.equal(await escrow.read.remaining([1n]), 0n);
    });

    it("is for the leecher only, on a redeemable escrow, to a real seeder", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, stranger } = system;
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.release([1n, seederA.account.address, MIB_10, PRICE], { account: stranger.account }),
        escrow,
        "CallerNotLeecher",
        [stranger.account.address],
      );
      await viem.assertions.revertWithCustomError(
        escrow.write.release([1n, zeroAddress, MIB_10, PRICE], { account: leecher.account }),
        escrow,
        "ZeroSeeder",
      );
      await closeAndWait(system);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.release([1n, seederA.account.address, MIB_10, PRICE], { account: leecher.account }),
        escrow,
        "EscrowNotRedeemable",
        [1n],
      );
    });

    it("refuses a seeder that has waived, and pays what is left of the deposit at most", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, seederB } = system;
      await escrow.write.release([1n, seederA.account.address, MIB_30, PRICE], { account: leecher.account });
      // Seeder A's reservation of its next interval (to 70 MiB) is not for B to take.
      const { reserved } = await escrow.read.redeemedBy([1n, seederA.account.address]);
      const left = DEPOSIT - amountFor(MIB_30, PRICE) - reserved;
      await viem.assertions.emitWithArgs(
        escrow.write.release([1n, seederB.account.address, MIB_70, PRICE], { account: leecher.account }),
        escrow,
        "CheckpointReleased",
        [1n, seederB.account.address, MIB_70, left],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.release([1n, seederB.account.address, MAX_BYTES, PRICE], { account: leecher.account }),
        escrow,
        "DepositExhausted",
        [1n],
      );
      await escrow.write.close([1n], { account: leecher.account });
      await escrow.write.waiveChallenge([1n], { account: seederA.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.release([1n, seederA.account.address, MAX_BYTES, PRICE], { account: leecher.account }),
        escrow,
        "SeederWaived",
        [1n, seederA.account.address],
      );
    });
  });

  describe("upfront mode", () => {
    it("has the single checkpoint maxBytes, released in full at the start", async () => {
      const system = await loadFixture(deployed);
      const { escrow, leecher, seederA } = system;
      await openEscrow(system, { mode: UPFRONT });
      assert.equal(await escrow.read.checkpointCount([1n]), 1n);
      assert.equal(await escrow.read.checkpointAt([1n, 0n]), MAX_BYTES);
      assert.equal(await escrow.read.nextCheckpoint([1n, 0n]), MAX_BYTES);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.release([1n, seederA.account.address, MIB_10, PRICE], { account: leecher.account }),
        escrow,
        "NotACheckpoint",
        [MIB_10],
      );
      await viem.assertions.balancesHaveChanged(
        escrow.write.release([1n, seederA.account.address, MAX_BYTES, PRICE], { account: leecher.account }),
        [{ address: seederA.account.address, amount: DEPOSIT }],
      );
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MAX_BYTES });
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.redeem([v, sig]), escrow, "VoucherNotNewer", [DEPOSIT, DEPOSIT]);
      await closeAndWait(system);
      await viem.assertions.emitWithArgs(escrow.write.refund([1n]), escrow, "EscrowRefunded", [1n, leecher.account.address, 0n]);
    });
  });

  describe("multi-source", () => {
    it("pays two seeders from one deposit, each its own, never more than the deposit in total", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, seederB } = system;
      // A served 0-30 MiB then 30-70 MiB; B served 50 MiB in parallel. Together they exceed the deposit.
      const a30 = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      const b50 = await signed(system, { seeder: seederB.account.address, cumulativeBytes: 5n * MIB_10 });
      const a70 = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_70 });
      await viem.assertions.balancesHaveChanged(escrow.write.redeem([a30.v, a30.sig]), [
        { address: seederA.account.address, amount: amountFor(MIB_30, PRICE) },
      ]);
      await viem.assertions.balancesHaveChanged(escrow.write.redeem([b50.v, b50.sig]), [
        { address: seederB.account.address, amount: amountFor(5n * MIB_10, PRICE) },
      ]);
      const left = DEPOSIT - amountFor(MIB_30, PRICE) - amountFor(5n * MIB_10, PRICE);
      assert.ok(left < amountFor(MIB_70, PRICE) - amountFor(MIB_30, PRICE));
      await viem.assertions.balancesHaveChanged(escrow.write.redeem([a70.v, a70.sig]), [
        { address: seederA.account.address, amount: left },
      ]);
      const paidA = (await escrow.read.redeemedBy([1n, seederA.account.address])).amount;
      const paidB = (await escrow.read.redeemedBy([1n, seederB.account.address])).amount;
      assert.equal(paidA + paidB, DEPOSIT);
      assert.equal(await escrow.read.remaining([1n]), 0n);
      await closeAndWait(system);
      await viem.assertions.emitWithArgs(escrow.write.refund([1n]), escrow, "EscrowRefunded", [1n, leecher.account.address, 0n]);
    });
  });
});
