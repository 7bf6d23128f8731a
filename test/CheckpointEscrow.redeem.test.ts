/** CheckpointEscrow: redeem, redeemBatch. Set-up in `helpers/escrowFixtures.ts`. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, keccak256, toHex, zeroAddress, type Hex } from "viem";
import { privateKeyToAccount, type LocalAccount } from "viem/accounts";
import { escrowDomain, voucherTypes, type Voucher } from "@web3torrent/sdk/eip712";
import { recoverVoucherSigner } from "@web3torrent/sdk/sessionKey";
import { amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { CHALLENGE_WINDOW } from "./helpers/escrowSetup.ts";
import { delegateKey } from "./helpers/eip7702.ts";
import {
  viem,
  loadFixture,
  time,
  UPFRONT,
  PRICE,
  MAX_BYTES,
  DEPOSIT,
  MIB_10,
  MIB_30,
  MIB_70,
  REENTRANCY_ERROR_SELECTOR,
  ATTACK,
  SKIP,
  SECP256K1_ORDER,
  sessionKey,
  strangerKey,
  deployed,
  opened,
  openEscrow,
  twoOpened,
  signed,
  closeAndWait,
} from "./helpers/escrowFixtures.ts";

describe("CheckpointEscrow", () => {
  describe("redeem", () => {
    it("pays the seeder its voucher, records it and emits VoucherRedeemed; anyone may submit", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA, stranger } = system;
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const amount = amountFor(MIB_10, PRICE);
      const tx = escrow.write.redeem([v, sig], { account: stranger.account });
      await viem.assertions.balancesHaveChanged(tx, [
        { address: seederA.account.address, amount },
        { address: escrow.address, amount: -amount },
      ]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherRedeemed", [1n, seederA.account.address, MIB_10, amount, amount]);
      const record = await escrow.read.redeemedBy([1n, seederA.account.address]);
      assert.deepEqual(record, { amount, cumulativeBytes: MIB_10, waived: false, reserved: 0n });
      const e = await escrow.read.escrow([1n]);
      assert.equal(e.unpaid, DEPOSIT - amount);
      assert.equal(e.seeders, 1);
      assert.equal(e.lastActivity, await time.latest());
      assert.equal(await escrow.read.remaining([1n]), DEPOSIT - amount);
    });

    it("pays only the difference for a later cumulative voucher", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA } = system;
      const first = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const second = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      await escrow.write.redeem([first.v, first.sig], { account: seederA.account });
      const difference = amountFor(MIB_30, PRICE) - amountFor(MIB_10, PRICE);
      const tx = escrow.write.redeem([second.v, second.sig], { account: seederA.account });
      await viem.assertions.balancesHaveChanged(tx, [{ address: seederA.account.address, amount: difference }]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherRedeemed", [
        1n,
        seederA.account.address,
        MIB_30,
        amountFor(MIB_30, PRICE),
        difference,
      ]);
      assert.equal((await escrow.read.escrow([1n])).seeders, 1);
    });

    it("refuses a replayed or older voucher: VoucherNotNewer", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA } = system;
      const first = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const second = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      await escrow.write.redeem([second.v, second.sig], { account: seederA.account });
      for (const { v, sig } of [second, first]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          escrow.write.redeem([v, sig], { account: seederA.account }),
          escrow,
          "VoucherNotNewer",
          [v.cumulativeAmount, amountFor(MIB_30, PRICE)],
        );
      }
    });

    it("refuses a signature not by the session key, for another contract or another chain", async () => {
      const system = await loadFixture(opened);
      const { escrow, market, seederA, chainId } = system;
      const v: Voucher = {
        escrowId: 1n,
        seeder: seederA.account.address,
        cumulativeBytes: MIB_10,
        cumulativeAmount: amountFor(MIB_10, PRICE),
      };
      const sign = (key: LocalAccount, domain: ReturnType<typeof escrowDomain>) =>
        key.signTypedData({ domain, types: voucherTypes, primaryType: "Voucher", message: v });
      const forged = [
        await sign(strangerKey, escrowDomain(chainId, escrow.address)),
        await sign(sessionKey, escrowDomain(chainId, market.address)),
        await sign(sessionKey, escrowDomain(chainId + 1, escrow.address)),
        "0x1234" as Hex,
      ];
      for (const sig of forged) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          escrow.write.redeem([v, sig], { account: seederA.account }),
          escrow,
          "InvalidVoucherSignature",
          [1n],
        );
      }
    });

    it("refuses a voucher of escrow A replayed on escrow B with the same session key", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA } = system;
      await openEscrow(system);
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeem([{ ...v, escrowId: 2n }, sig], { account: seederA.account }),
        escrow,
        "InvalidVoucherSignature",
        [2n],
      );
      await escrow.write.redeem([v, sig], { account: seederA.account });
      assert.equal(await escrow.read.remaining([2n]), DEPOSIT);
    });

    it("pays a voucher signed before the session key delegated its address (EIP-7702) to code that disowns it", async () => {
      // Attack (b): once served, the plain key signs one EIP-7702 authorization; its address now answers ERC-1271
      // with "invalid". Vouchers are checked by ECDSA only, so the seeder is still paid and the refund is the rest.
      const system = await loadFixture(deployed);
      const { escrow, leecher, seederA } = system;
      const key = privateKeyToAccount(keccak256(toHex("w3t test: escrow key that gains code")));
      await openEscrow(system, { key: key.address });
      const served = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_70 }, key);
      const disowning = await viem.deployContract("TestRevocableSessionKey", [key.address]);
      await delegateKey(viem, key, disowning.address, leecher);
      await escrow.write.close([1n], { account: leecher.account });

      await viem.assertions.balancesHaveChanged(escrow.write.redeem([served.v, served.sig], { account: seederA.account }), [
        { address: seederA.account.address, amount: amountFor(MIB_70, PRICE) },
      ]);
      await time.increase(CHALLENGE_WINDOW);
      await viem.assertions.balancesHaveChanged(escrow.write.refund([1n]), [
        { address: leecher.account.address, amount: DEPOSIT - amountFor(MIB_70, PRICE) },
      ]);
    });

    it("agrees with the sdk's seeder check on a session key's signature: both refuse the high-s twin, v of 0 or 1 and the 64-byte form", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA, chainId } = system;
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const ctx = { chainId, escrow: escrow.address };
      const r = sig.slice(2, 66);
      const sValue = BigInt(`0x${sig.slice(66, 130)}`);
      const recovery = Number.parseInt(sig.slice(130), 16);
      const word = (x: bigint) => x.toString(16).padStart(64, "0");
      const forms: Record<string, Hex> = {
        "high-s twin": `0x${r}${word(SECP256K1_ORDER - sValue)}${(recovery === 27 ? 28 : 27).toString(16)}`,
        "v of 0 or 1": `0x${r}${word(sValue)}0${recovery - 27}`,
        "64-byte compact form": `0x${r}${word(sValue | (BigInt(recovery - 27) << 255n))}`,
      };
      for (const [form, signature] of Object.entries(forms)) {
        assert.equal(await recoverVoucherSigner(ctx, v, signature), undefined, `the sdk refuses the ${form}`);
        await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.redeem([v, signature]), escrow, "InvalidVoucherSignature", [1n]);
      }
      assert.equal(await recoverVoucherSigner(ctx, v, sig), sessionKey.address);
      await escrow.write.redeem([v, sig]);
    });

    it("refuses a zero seeder, bytes beyond maxBytes and an amount above the price", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA } = system;
      const zero = await signed(system, { seeder: zeroAddress, cumulativeBytes: MIB_10 });
      await viem.assertions.revertWithCustomError(escrow.write.redeem([zero.v, zero.sig]), escrow, "ZeroSeeder");
      const tooFar = await signed(system, {
        seeder: seederA.account.address,
        cumulativeBytes: MAX_BYTES + 1n,
        cumulativeAmount: 1n,
      });
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.redeem([tooFar.v, tooFar.sig]), escrow, "BytesOverMax", [
        MAX_BYTES + 1n,
        MAX_BYTES,
      ]);
      const overPriced = await signed(system, {
        seeder: seederA.account.address,
        cumulativeBytes: MIB_10,
        cumulativeAmount: amountFor(MIB_10, PRICE) + 1n,
      });
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.redeem([overPriced.v, overPriced.sig]), escrow, "VoucherOverPrice", [
        amountFor(MIB_10, PRICE) + 1n,
        amountFor(MIB_10, PRICE),
      ]);
    });

    it("refuses an unknown escrow, one past its challenge window and a refunded one: EscrowNotRedeemable", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA } = system;
      const unknown = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10, escrowId: 9n });
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.redeem([unknown.v, unknown.sig]), escrow, "EscrowNotRedeemable", [
        9n,
      ]);
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      await closeAndWait(system);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.redeem([v, sig]), escrow, "EscrowNotRedeemable", [1n]);
      await escrow.write.refund([1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.redeem([v, sig]), escrow, "EscrowNotRedeemable", [1n]);
    });

    it("pays what is left when the deposit runs short, then DepositExhausted", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA, seederB } = system;
      const a = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_70 });
      const b = await signed(system, { seeder: seederB.account.address, cumulativeBytes: MIB_70 });
      await escrow.write.redeem([a.v, a.sig]);
      const left = DEPOSIT - amountFor(MIB_70, PRICE);
      const tx = escrow.write.redeem([b.v, b.sig]);
      await viem.assertions.balancesHaveChanged(tx, [{ address: seederB.account.address, amount: left }]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherRedeemed", [
        1n,
        seederB.account.address,
        MIB_70,
        amountFor(MIB_70, PRICE),
        left,
      ]);
      // B's record grew only by what it was paid, so its voucher is still "newer" — but nothing is left.
      assert.equal((await escrow.read.redeemedBy([1n, seederB.account.address])).amount, left);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.redeem([b.v, b.sig]), escrow, "DepositExhausted", [1n]);
      assert.equal(await escrow.read.remaining([1n]), 0n);
    });

    it("refuses a seeder whose record is final after waiving: SeederWaived", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA, leecher } = system;
      const first = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const second = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      await escrow.write.redeem([first.v, first.sig]);
      await escrow.write.close([1n], { account: leecher.account });
      await escrow.write.waiveChallenge([1n], { account: seederA.account });
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.redeem([second.v, second.sig]), escrow, "SeederWaived", [
        1n,
        seederA.account.address,
      ]);
    });

    it("fails only the seeder's own redemption when it rejects ETH: TransferFailed", async () => {
      const system = await loadFixture(opened);
      const { escrow } = system;
      const actor = await viem.deployContract("ReentrantEscrowActor", [escrow.address]);
      const { v, sig } = await signed(system, { seeder: actor.address, cumulativeBytes: MIB_10 });
      await actor.write.arm([ATTACK.Reject, v, "0x", 0n]);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.redeem([v, sig]), escrow, "TransferFailed", [
        actor.address,
        amountFor(MIB_10, PRICE),
      ]);
    });

    it("gives a seeder that re-enters redeem from its receive hook nothing more", async () => {
      const system = await loadFixture(opened);
      const { escrow, stranger } = system;
      const actor = await viem.deployContract("ReentrantEscrowActor", [escrow.address]);
      const first = await signed(system, { seeder: actor.address, cumulativeBytes: MIB_10 });
      const second = await signed(system, { seeder: actor.address, cumulativeBytes: MIB_30 });
      await actor.write.arm([ATTACK.Redeem, second.v, second.sig, 0n]);
      await viem.assertions.balancesHaveChanged(escrow.write.redeem([first.v, first.sig], { account: stranger.account }), [
        { address: actor.address, amount: amountFor(MIB_10, PRICE) },
        { address: escrow.address, amount: -amountFor(MIB_10, PRICE) },
      ]);
      assert.equal(await actor.read.paymentsReceived(), 1n);
      assert.equal(await actor.read.reentrySucceeded(), 0n);
      assert.equal(await actor.read.lastReentryError(), REENTRANCY_ERROR_SELECTOR);
      // The newer voucher still pays exactly the difference, once.
      await viem.assertions.balancesHaveChanged(escrow.write.redeem([second.v, second.sig]), [
        { address: actor.address, amount: amountFor(MIB_30, PRICE) - amountFor(MIB_10, PRICE) },
      ]);
    });
  });

  describe("redeemBatch", () => {
    it("redeems vouchers of several escrows with one transfer", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA } = system;
      await openEscrow(system, { key: strangerKey.address, mode: UPFRONT });
      const a1 = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const a1later = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      const a2 = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MAX_BYTES, escrowId: 2n }, strangerKey);
      const total = amountFor(MIB_30, PRICE) + DEPOSIT;
      const tx = escrow.write.redeemBatch([seederA.account.address, [a1.v, a1later.v, a2.v], [a1.sig, a1later.sig, a2.sig]], {
        account: seederA.account,
      });
      await viem.assertions.balancesHaveChanged(tx, [
        { address: seederA.account.address, amount: total },
        { address: escrow.address, amount: -total },
      ]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherRedeemed", [
        1n,
        seederA.account.address,
        MIB_30,
        amountFor(MIB_30, PRICE),
        amountFor(MIB_30, PRICE) - amountFor(MIB_10, PRICE),
      ]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherRedeemed", [2n, seederA.account.address, MAX_BYTES, DEPOSIT, DEPOSIT]);
      const receipt = await system.publicClient.getTransactionReceipt({ hash: await tx });
      const redeemed = receipt.logs.filter((log) => log.address.toLowerCase() === escrow.address.toLowerCase());
      assert.equal(redeemed.length, 3);
    });

    it("refuses an empty batch, mismatched lengths and a voucher naming another seeder", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA, seederB } = system;
      const a = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const b = await signed(system, { seeder: seederB.account.address, cumulativeBytes: MIB_10 });
      await viem.assertions.revertWithCustomError(escrow.write.redeemBatch([seederA.account.address, [], []]), escrow, "EmptyBatch");
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeemBatch([seederA.account.address, [a.v, a.v], [a.sig]]),
        escrow,
        "LengthMismatch",
        [2n, 1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeemBatch([seederA.account.address, [a.v, b.v], [a.sig, b.sig]]),
        escrow,
        "SeederMismatch",
        [seederA.account.address, seederB.account.address],
      );
    });

    it("skips a voucher already redeemed by anyone (VoucherSkipped) and pays the newer ones", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA, stranger } = system;
      const a = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      const stale = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      await escrow.write.redeem([stale.v, stale.sig], { account: stranger.account });
      const tx = escrow.write.redeemBatch([seederA.account.address, [stale.v, a.v, a.v], [stale.sig, a.sig, a.sig]]);
      await viem.assertions.balancesHaveChanged(tx, [
        { address: seederA.account.address, amount: amountFor(MIB_30, PRICE) - amountFor(MIB_10, PRICE) },
      ]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherSkipped", [
        1n,
        getAddress(seederA.account.address),
        amountFor(MIB_10, PRICE),
        amountFor(MIB_10, PRICE),
        SKIP.NotNewer,
      ]);
      // The copy of `a` later in the same batch is no longer newer either.
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherSkipped", [
        1n,
        getAddress(seederA.account.address),
        amountFor(MIB_30, PRICE),
        amountFor(MIB_30, PRICE),
        SKIP.NotNewer,
      ]);
      assert.equal((await escrow.read.redeemedBy([1n, seederA.account.address])).amount, amountFor(MIB_30, PRICE));
      // A batch of nothing but stale vouchers pays nothing and does not revert.
      await viem.assertions.balancesHaveChanged(escrow.write.redeemBatch([seederA.account.address, [stale.v], [stale.sig]]), [
        { address: seederA.account.address, amount: 0n },
      ]);
    });

    it("pays the seeder for both escrows when the leecher front-runs one voucher of its batch near closesAt", async () => {
      // Finding 2: a leecher that redeems one voucher of a pending batch first made the whole batch revert
      // (VoucherNotNewer); near closesAt the seeder's other vouchers then expired and the leecher got their bytes
      // refunded. Now the batch skips the redeemed voucher and pays the other one.
      const system = await loadFixture(twoOpened);
      const { escrow, leecher, seederA } = system;
      const v1 = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_70 });
      const v2 = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_70, escrowId: 2n }, strangerKey);
      await escrow.write.close([1n], { account: leecher.account });
      await escrow.write.close([2n], { account: leecher.account });
      const { closesAt } = await escrow.read.escrow([1n]); // escrow 2 closes a second later
      await time.setNextBlockTimestamp(closesAt - 2);
      // The leecher's front-run, mined just before the seeder's batch, in the window's last seconds.
      await escrow.write.redeem([v1.v, v1.sig], { account: leecher.account });
      const batch = escrow.write.redeemBatch([seederA.account.address, [v1.v, v2.v], [v1.sig, v2.sig]], {
        account: seederA.account,
      });
      await viem.assertions.balancesHaveChanged(batch, [{ address: seederA.account.address, amount: amountFor(MIB_70, PRICE) }]);
      await viem.assertions.emitWithArgs(batch, escrow, "VoucherSkipped", [
        1n,
        getAddress(seederA.account.address),
        amountFor(MIB_70, PRICE),
        amountFor(MIB_70, PRICE),
        SKIP.NotNewer,
      ]);
      for (const escrowId of [1n, 2n]) {
        assert.equal((await escrow.read.redeemedBy([escrowId, seederA.account.address])).amount, amountFor(MIB_70, PRICE));
      }
      await time.increaseTo(closesAt);
      for (const escrowId of [1n, 2n]) {
        await viem.assertions.balancesHaveChanged(escrow.write.refund([escrowId]), [
          { address: leecher.account.address, amount: DEPOSIT - amountFor(MIB_70, PRICE) },
        ]);
      }
    });

    it("skips a voucher whose escrow is past its window or whose deposit others exhausted", async () => {
      const system = await loadFixture(twoOpened);
      const { escrow, seederA, seederB } = system;
      const expired = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const exhausted = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10, escrowId: 2n }, strangerKey);
      // Another seeder's voucher for the whole content takes all of escrow 2's deposit.
      const all = await signed(system, { seeder: seederB.account.address, cumulativeBytes: MAX_BYTES, escrowId: 2n }, strangerKey);
      await escrow.write.redeem([all.v, all.sig]);
      await closeAndWait(system, 1n);
      const tx = escrow.write.redeemBatch([seederA.account.address, [expired.v, exhausted.v], [expired.sig, exhausted.sig]]);
      await viem.assertions.balancesHaveChanged(tx, [{ address: seederA.account.address, amount: 0n }]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherSkipped", [
        1n,
        getAddress(seederA.account.address),
        amountFor(MIB_10, PRICE),
        0n,
        SKIP.NotRedeemable,
      ]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherSkipped", [
        2n,
        getAddress(seederA.account.address),
        amountFor(MIB_10, PRICE),
        0n,
        SKIP.DepositExhausted,
      ]);
      await escrow.write.refund([1n]);
      await viem.assertions.emitWithArgs(
        escrow.write.redeemBatch([seederA.account.address, [expired.v], [expired.sig]]),
        escrow,
        "VoucherSkipped",
        [1n, getAddress(seederA.account.address), amountFor(MIB_10, PRICE), 0n, SKIP.NotRedeemable],
      );
    });

    it("still reverts as a whole for the seeder's own mistakes: a bad signature, an amount over price, an unknown escrow, a waived record", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA, leecher } = system;
      const good = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const forged = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 }, strangerKey);
      const overPriced = await signed(system, {
        seeder: seederA.account.address,
        cumulativeBytes: MIB_30,
        cumulativeAmount: amountFor(MIB_30, PRICE) + 1n,
      });
      const unknown = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10, escrowId: 9n });
      const batchOf = (other: { v: Voucher; sig: Hex }) =>
        escrow.write.redeemBatch([seederA.account.address, [good.v, other.v], [good.sig, other.sig]]);
      await viem.assertions.revertWithCustomErrorWithArgs(batchOf(forged), escrow, "InvalidVoucherSignature", [1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(batchOf(overPriced), escrow, "VoucherOverPrice", [
        amountFor(MIB_30, PRICE) + 1n,
        amountFor(MIB_30, PRICE),
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(batchOf(unknown), escrow, "EscrowNotRedeemable", [9n]);
      assert.equal((await escrow.read.redeemedBy([1n, seederA.account.address])).amount, 0n);
      assert.equal(await escrow.read.remaining([1n]), DEPOSIT);

      await escrow.write.redeem([good.v, good.sig]);
      await escrow.write.close([1n], { account: leecher.account });
      await escrow.write.waiveChallenge([1n], { account: seederA.account });
      const later = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeemBatch([seederA.account.address, [later.v], [later.sig]]),
        escrow,
        "SeederWaived",
        [1n, seederA.account.address],
      );
    });
  });
});
