/**
 * CheckpointEscrow: close, refund, cooperative close (waiveChallenge), signed close (closeWithSignature,
 * settleClose). Set-up in `helpers/escrowFixtures.ts`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress } from "viem";
import { type LocalAccount } from "viem/accounts";
import { closeTypes, escrowDomain } from "@web3torrent/sdk/eip712";
import { amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { CHALLENGE_WINDOW, IDLE_EXPIRY, buyLicense } from "./helpers/escrowSetup.ts";
import {
  viem,
  loadFixture,
  time,
  EXPONENTIAL,
  STATUS,
  PRICE,
  MAX_BYTES,
  DEPOSIT,
  MIB_10,
  MIB_30,
  MAX_CHALLENGE_WINDOW,
  REENTRANCY_ERROR_SELECTOR,
  ATTACK,
  sessionKey,
  strangerKey,
  deployed,
  opened,
  type System,
  signed,
} from "./helpers/escrowFixtures.ts";

/** The refund of escrow 1 is refused until its challenge window ends. */
async function assertRefundWaitsForTheWindow({ escrow }: System) {
  const { closesAt } = await escrow.read.escrow([1n]);
  await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.refund([1n]), escrow, "ChallengeWindowOpen", [1n, BigInt(closesAt)]);
}

describe("CheckpointEscrow", () => {
  describe("close", () => {
    it("lets the leecher close at any time, with the challenge window in force copied in", async () => {
      const system = await loadFixture(opened);
      const { escrow, owner, leecher } = system;
      const tx = escrow.write.close([1n], { account: leecher.account });
      await tx;
      const closesAt = (await time.latest()) + CHALLENGE_WINDOW;
      await viem.assertions.emitWithArgs(tx, escrow, "EscrowClosing", [1n, closesAt]);
      // A later change of the setting does not move this escrow's deadline.
      await escrow.write.setChallengeWindow([MAX_CHALLENGE_WINDOW], { account: owner.account });
      const e = await escrow.read.escrow([1n]);
      assert.equal(e.status, STATUS.Closing);
      assert.equal(e.closesAt, closesAt);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.close([1n], { account: leecher.account }), escrow, "EscrowNotOpen", [
        1n,
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.close([2n], { account: leecher.account }), escrow, "EscrowNotOpen", [
        2n,
      ]);
    });

    it("keeps redemptions open until closesAt and no longer", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA } = system;
      const first = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const second = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      await escrow.write.close([1n], { account: leecher.account });
      const { closesAt } = await escrow.read.escrow([1n]);
      await time.setNextBlockTimestamp(closesAt - 1);
      await escrow.write.redeem([first.v, first.sig]);
      await time.setNextBlockTimestamp(closesAt);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.redeem([second.v, second.sig]), escrow, "EscrowNotRedeemable", [1n]);
    });

    it("lets anyone close an escrow idle for idleExpiry, counting redemptions as activity", async () => {
      const system = await loadFixture(opened);
      const { escrow, stranger, seederA } = system;
      await time.increase(IDLE_EXPIRY / 2);
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      await escrow.write.redeem([v, sig]);
      const idleAt = BigInt((await time.latest()) + IDLE_EXPIRY);
      await time.setNextBlockTimestamp(idleAt - 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.close([1n], { account: stranger.account }),
        escrow,
        "EscrowNotIdle",
        [1n, idleAt],
      );
      await time.setNextBlockTimestamp(idleAt);
      await viem.assertions.emitWithArgs(escrow.write.close([1n], { account: stranger.account }), escrow, "EscrowClosing", [
        1n,
        Number(idleAt) + CHALLENGE_WINDOW,
      ]);
      await time.increase(CHALLENGE_WINDOW);
      await viem.assertions.balancesHaveChanged(escrow.write.refund([1n], { account: stranger.account }), [
        { address: system.leecher.account.address, amount: DEPOSIT - amountFor(MIB_10, PRICE) },
      ]);
    });
  });

  describe("refund", () => {
    it("waits for the challenge window, then refunds the rest exactly to the wei, once", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, stranger } = system;
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      await escrow.write.redeem([v, sig]);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.refund([1n]), escrow, "EscrowNotClosing", [1n]);
      await escrow.write.close([1n], { account: leecher.account });
      const { closesAt } = await escrow.read.escrow([1n]);
      await assertRefundWaitsForTheWindow(system);
      await time.setNextBlockTimestamp(closesAt);
      const rest = DEPOSIT - amountFor(MIB_30, PRICE);
      const tx = escrow.write.refund([1n], { account: stranger.account });
      await viem.assertions.balancesHaveChanged(tx, [
        { address: leecher.account.address, amount: rest },
        { address: escrow.address, amount: -rest },
      ]);
      await viem.assertions.emitWithArgs(tx, escrow, "EscrowRefunded", [1n, leecher.account.address, rest]);
      assert.equal((await escrow.read.escrow([1n])).status, STATUS.Closed);
      assert.equal(await escrow.read.remaining([1n]), 0n);
      assert.equal(await system.publicClient.getBalance({ address: escrow.address }), 0n);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.refund([1n]), escrow, "EscrowNotClosing", [1n]);
    });

    /** Escrow 1 of a contract leecher (ReentrantEscrowActor), closed and past its window, armed for the refund. */
    async function contractLeecherAtRefund(attack: (typeof ATTACK)[keyof typeof ATTACK]) {
      const system = await loadFixture(deployed);
      const { escrow, market, contentId } = system;
      const actor = await viem.deployContract("ReentrantEscrowActor", [escrow.address]);
      await buyLicense(viem, market.address, contentId, actor.address);
      await actor.write.open([contentId, MAX_BYTES, PRICE, sessionKey.address, EXPONENTIAL], { value: DEPOSIT });
      await actor.write.close([1n]);
      await time.increase(CHALLENGE_WINDOW);
      const unused = await signed(system, { seeder: actor.address, cumulativeBytes: MIB_10 });
      await actor.write.arm([attack, unused.v, unused.sig, 1n]);
      return { ...system, actor };
    }

    it("gives a leecher that re-enters refund from its receive hook nothing more", async () => {
      const { escrow, stranger, actor } = await contractLeecherAtRefund(ATTACK.Refund);
      await viem.assertions.balancesHaveChanged(escrow.write.refund([1n], { account: stranger.account }), [
        { address: actor.address, amount: DEPOSIT },
        { address: escrow.address, amount: -DEPOSIT },
      ]);
      assert.equal(await actor.read.paymentsReceived(), 1n);
      assert.equal(await actor.read.reentrySucceeded(), 0n);
      assert.equal(await actor.read.lastReentryError(), REENTRANCY_ERROR_SELECTOR);
    });

    it("fails while the leecher rejects ETH: TransferFailed", async () => {
      const { escrow, actor } = await contractLeecherAtRefund(ATTACK.Reject);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.refund([1n]), escrow, "TransferFailed", [actor.address, DEPOSIT]);
    });
  });

  describe("cooperative close (waiveChallenge)", () => {
    it("refunds at once when every seeder that has redeemed has waived", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, seederB } = system;
      const a = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const b = await signed(system, { seeder: seederB.account.address, cumulativeBytes: MIB_30 });
      await escrow.write.redeem([a.v, a.sig]);
      await escrow.write.redeem([b.v, b.sig]);
      await escrow.write.close([1n], { account: leecher.account });
      const { closesAt } = await escrow.read.escrow([1n]);
      await viem.assertions.emitWithArgs(escrow.write.waiveChallenge([1n], { account: seederA.account }), escrow, "ChallengeWaived", [
        1n,
        seederA.account.address,
      ]);
      assert.equal((await escrow.read.redeemedBy([1n, seederA.account.address])).waived, true);
      await assertRefundWaitsForTheWindow(system);
      await escrow.write.waiveChallenge([1n], { account: seederB.account });
      const e = await escrow.read.escrow([1n]);
      assert.equal(e.seeders, 2);
      assert.equal(e.waivers, 2);
      assert.ok((await time.latest()) < closesAt);
      await viem.assertions.balancesHaveChanged(escrow.write.refund([1n]), [
        { address: leecher.account.address, amount: DEPOSIT - amountFor(MIB_10, PRICE) - amountFor(MIB_30, PRICE) },
      ]);
    });

    it("does not cut the window short when no seeder has redeemed", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher } = system;
      await escrow.write.close([1n], { account: leecher.account });
      await assertRefundWaitsForTheWindow(system);
    });

    it("waits again for a seeder that redeems for the first time after the others waived", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, seederB } = system;
      const a = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const b = await signed(system, { seeder: seederB.account.address, cumulativeBytes: MIB_10 });
      await escrow.write.redeem([a.v, a.sig]);
      await escrow.write.close([1n], { account: leecher.account });
      await escrow.write.waiveChallenge([1n], { account: seederA.account });
      await escrow.write.redeem([b.v, b.sig]);
      await assertRefundWaitsForTheWindow(system);
    });

    it("is for a closing escrow, by a seeder that has redeemed, once", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, seederB } = system;
      const a = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      await escrow.write.redeem([a.v, a.sig]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.waiveChallenge([1n], { account: seederA.account }),
        escrow,
        "EscrowNotClosing",
        [1n],
      );
      await escrow.write.close([1n], { account: leecher.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.waiveChallenge([1n], { account: seederB.account }),
        escrow,
        "NothingRedeemed",
        [1n, seederB.account.address],
      );
      await escrow.write.waiveChallenge([1n], { account: seederA.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.waiveChallenge([1n], { account: seederA.account }),
        escrow,
        "SeederWaived",
        [1n, seederA.account.address],
      );
    });
  });

  describe("signed close (closeWithSignature, settleClose)", () => {
    const signClose = (system: System, escrowId = 1n, key: LocalAccount = sessionKey) =>
      key.signTypedData({
        domain: escrowDomain(system.chainId, system.escrow.address),
        types: closeTypes,
        primaryType: "Close",
        message: { escrowId },
      });

    it("lets anyone close with the session key's Close, and says whose signature it used", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA } = system;
      const hash = escrow.write.closeWithSignature([1n, await signClose(system)], { account: seederA.account });
      await viem.assertions.emitWithArgs(hash, escrow, "CloseSignatureUsed", [1n, getAddress(seederA.account.address)]);
      assert.equal((await escrow.read.escrow([1n])).status, 2);
    });

    it("refuses a Close signed by another key", async () => {
      const system = await loadFixture(opened);
      await viem.assertions.revertWithCustomErrorWithArgs(
        system.escrow.write.closeWithSignature([1n, await signClose(system, 1n, strangerKey)]),
        system.escrow,
        "InvalidCloseSignature",
        [1n],
      );
    });

    it("lets the seeder redeem its last voucher, close, waive and refund the leecher in one transaction", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA } = system;
      const first = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      await escrow.write.redeem([first.v, first.sig]);
      const last = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      const close = await signClose(system);
      await viem.assertions.balancesHaveChanged(escrow.write.settleClose([last.v, last.sig, close], { account: seederA.account }), [
        { address: leecher.account.address, amount: DEPOSIT - amountFor(MIB_30, PRICE) },
      ]);
      assert.equal((await escrow.read.escrow([1n])).status, 3);
      assert.equal((await escrow.read.redeemedBy([1n, seederA.account.address])).amount, amountFor(MIB_30, PRICE));
    });
  });
});
