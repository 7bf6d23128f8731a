/** RebatePool: sweep and sweepMany, epochs, claim. Set-up in `helpers/rebatePoolFixtures.ts`. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getAddress, toFunctionSelector, type Address } from "viem";
import {
  ALLOWANCE_EXPIRY,
  DAY,
  EPOCH_DURATION,
  LeecherSession,
  buy,
  creditLicense,
  newSessionKey,
  registerContent,
} from "./helpers/rebate.ts";
import {
  viem,
  time,
  loadFixture,
  same,
  SIZE,
  BASE_PRICE,
  ALLOWANCE,
  NETWORK_FEE,
  deployFixture,
  licensedFixture,
  logsOf,
} from "./helpers/rebatePoolFixtures.ts";

/**
 * An epoch whose pool is leecher2's swept license (its network fee and allowance), in which `s` is credited the whole
 * content by the fixture's session; returns it once finished.
 */
async function finishedEpochCrediting(system: Awaited<ReturnType<typeof licensedFixture>>, s: Address): Promise<bigint> {
  const { pool, session, leecher2, market, contentId } = system;
  await buy(market, leecher2, contentId);
  await time.increase(ALLOWANCE_EXPIRY);
  const epoch = await pool.read.currentEpoch();
  await pool.write.sweep([leecher2.account.address, contentId]);
  await pool.write.submitReceipts([s, [await session.receipt(s, contentId, SIZE)]]);
  await time.increase(EPOCH_DURATION);
  return epoch;
}

describe("RebatePool", () => {
  describe("sweep and sweepMany", () => {
    it("moves an expired allowance into the carry, drops its weight budget and emits AllowanceSwept", async () => {
      const { pool, leecher, other, contentId } = await loadFixture(licensedFixture);
      const [, , fundedAt] = await pool.read.allowance([leecher.account.address, contentId]);
      await time.setNextBlockTimestamp(fundedAt + ALLOWANCE_EXPIRY - 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.sweep([leecher.account.address, contentId], { account: other.account }),
        pool,
        "NotExpired",
        [leecher.account.address, contentId, fundedAt + ALLOWANCE_EXPIRY],
      );
      await time.setNextBlockTimestamp(fundedAt + ALLOWANCE_EXPIRY);
      // Expired from fundedAt + allowanceExpiry on; anyone may sweep.
      const epoch = (fundedAt + ALLOWANCE_EXPIRY - (await pool.read.genesis())) / EPOCH_DURATION;
      await viem.assertions.emitWithArgs(
        pool.write.sweep([leecher.account.address, contentId], { account: other.account }),
        pool,
        "AllowanceSwept",
        [leecher.account.address, contentId, ALLOWANCE, NETWORK_FEE, epoch],
      );
      assert.equal((await pool.read.allowance([leecher.account.address, contentId]))[0], 0n);
      // The carry holds the license's network fee, paid at purchase, and now its unearned allowance; the budget of a
      // swept license can no longer become weight.
      assert.deepEqual(await pool.read.rollover(), [NETWORK_FEE + ALLOWANCE, false, 0n]);
      assert.equal(await pool.read.weightBudget([leecher.account.address, contentId]), 0n);
      assert.equal(await pool.read.openWeight(), 0n);
      await viem.assertions.revertWithCustomErrorWithArgs(pool.write.sweep([leecher.account.address, contentId]), pool, "NothingToSweep", [
        leecher.account.address,
        contentId,
      ]);
    });

    it("sweeps only what is left after payouts, and a new purchase restarts the expiry", async () => {
      const { pool, market, session, seeder, leecher, contentId } = await loadFixture(licensedFixture);
      const s = seeder.account.address;
      await pool.write.submitReceipts([s, [await session.receipt(s, contentId, 400_000n)]]);
      const left = (await pool.read.allowance([leecher.account.address, contentId]))[0];
      await time.increase(ALLOWANCE_EXPIRY - DAY);
      await buy(market, leecher, contentId);
      await time.increase(DAY);
      const [, , fundedAt] = await pool.read.allowance([leecher.account.address, contentId]);
      await viem.assertions.revertWithCustomErrorWithArgs(pool.write.sweep([leecher.account.address, contentId]), pool, "NotExpired", [
        leecher.account.address,
        contentId,
        fundedAt + ALLOWANCE_EXPIRY,
      ]);
      await time.setNextBlockTimestamp(fundedAt + ALLOWANCE_EXPIRY);
      await pool.write.sweep([leecher.account.address, contentId]);
      // Epoch 0 kept its weight of the first network fee; the rest of it, the second one and the sweep are carried.
      const weight0 = (NETWORK_FEE * 400_000n) / SIZE;
      assert.equal((await pool.read.rollover())[0], left + ALLOWANCE + 2n * NETWORK_FEE - weight0);
    });

    it("refuses to sweep an allowance that was never funded", async () => {
      const { pool, other, contentId } = await loadFixture(deployFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(pool.write.sweep([other.account.address, contentId]), pool, "NothingToSweep", [
        other.account.address,
        contentId,
      ]);
    });

    it("sweepMany sweeps several licenses, all or nothing", async () => {
      const { pool, market, leecher, leecher2, other, contentId } = await loadFixture(licensedFixture);
      await buy(market, leecher2, contentId);
      await time.increase(ALLOWANCE_EXPIRY);
      await buy(market, other, contentId);
      const keys = [
        { licensee: leecher.account.address, contentId },
        { licensee: leecher2.account.address, contentId },
      ];
      const fundedAt = (await pool.read.allowance([other.account.address, contentId]))[2];
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.sweepMany([[...keys, { licensee: other.account.address, contentId }]]),
        pool,
        "NotExpired",
        [other.account.address, contentId, fundedAt + ALLOWANCE_EXPIRY],
      );
      await viem.assertions.revertWithCustomError(pool.write.sweepMany([[]]), pool, "EmptyBatch");
      await viem.assertions.emitWithArgs(pool.write.sweepMany([keys]), pool, "AllowanceSwept", [
        leecher2.account.address,
        contentId,
        ALLOWANCE,
        NETWORK_FEE,
        await pool.read.currentEpoch(),
      ]);
      assert.equal((await pool.read.rollover())[0], 2n * ALLOWANCE + 3n * NETWORK_FEE);
      assert.equal((await pool.read.allowance([leecher.account.address, contentId]))[0], 0n);
    });
  });

  describe("epochs", () => {
    it("counts time in epochs of epochDuration from genesis", async () => {
      const { pool } = await loadFixture(deployFixture);
      const genesis = await pool.read.genesis();
      await time.increaseTo(genesis + 3n * EPOCH_DURATION - 1n);
      assert.equal(await pool.read.currentEpoch(), 2n);
      await time.increaseTo(genesis + 3n * EPOCH_DURATION);
      assert.equal(await pool.read.currentEpoch(), 3n);
    });

    it("funds the epoch pool with network fees at purchase, splits it by weight, not by bytes, and rolls what is above the epoch's weight forward at finalisation", async () => {
      const { pool, market, publisher, session, seeder, seeder2, leecher2, contentId, domain, expiry, publicClient } =
        await loadFixture(licensedFixture);
      const a = seeder.account.address;
      const b = seeder2.account.address;
      // b serves ten times as many bytes as a, of a content a tenth the price: each of its bytes weighs 1/100 as much.
      const cheapSize = 10n * SIZE;
      const cheap = await registerContent(market, publisher, { size: cheapSize, basePrice: BASE_PRICE / 10n });
      const cheapLicense = await buy(market, leecher2, cheap);
      const session2 = new LeecherSession(leecher2, leecher2.account.address, expiry, domain);
      await pool.write.submitReceipts([a, [await session.receipt(a, contentId, SIZE)]]);
      await pool.write.submitReceipts([b, [await session2.receipt(b, cheap, cheapSize / 2n)]]);
      const weightA = NETWORK_FEE;
      const weightB = creditLicense(cheapLicense.weightBudget, 0n, cheapSize, cheapSize / 2n).payout;
      assert.deepEqual(await pool.read.seederEpoch([0n, a]), [SIZE, weightA]);
      assert.deepEqual(await pool.read.seederEpoch([0n, b]), [cheapSize / 2n, weightB]);
      const carry = NETWORK_FEE + cheapLicense.networkFee;
      assert.deepEqual(await pool.read.rollover(), [carry, true, 0n]);
      assert.deepEqual(await pool.read.epochInfo([0n]), [weightA + weightB, weightA + weightB, false]);
      await viem.assertions.revertWithCustomErrorWithArgs(pool.write.claim([[0n]], { account: seeder.account }), pool, "EpochNotFinished", [
        0n,
        0n,
      ]);
      await time.increase(EPOCH_DURATION);
      assert.equal(await pool.read.claimable([a, [0n]]), ALLOWANCE + weightA);

      const hash = await pool.write.claim([[0n]], { account: seeder.account });
      const [finalized] = await logsOf(publicClient, pool, hash, "EpochFinalized");
      same(finalized.args, {
        epoch: 0n,
        pool: weightA + weightB,
        totalWeight: weightA + weightB,
        rolledForward: carry - weightA - weightB,
      });
      const [share] = await logsOf(publicClient, pool, hash, "EpochShareClaimed");
      same(share.args, { seeder: a, epoch: 0n, bytesCredited: SIZE, weight: weightA, amount: weightA });
      const [claimed] = await logsOf(publicClient, pool, hash, "Claimed");
      same(claimed.args, { seeder: a, fromBalance: ALLOWANCE, fromEpochs: weightA });
      // The unserved half of b's license keeps its part of the carry for when it is served.
      assert.deepEqual(await pool.read.rollover(), [carry - weightA - weightB, false, 0n]);
      assert.equal(await pool.read.openWeight(), cheapLicense.networkFee - weightB);
      assert.equal(await pool.read.surplus(), 0n);
      const balanceB = await pool.read.balances([b]);
      await viem.assertions.balancesHaveChanged(pool.write.claim([[0n]], { account: seeder2.account }), [
        { address: b, amount: balanceB + weightB },
        { address: pool.address, amount: -(balanceB + weightB) },
      ]);
    });

    /**
     * An honest seeder serves `leecher` the whole file in epoch 0; with `griefer`, a third party also credits, in the
     * same epoch, a free content of the largest size the market allows and a priced content of its own, to a seeder
     * address of its own. Returns the honest seeder's share of epoch 0.
     */
    async function honestShare(griefer: boolean) {
      const f = await loadFixture(licensedFixture);
      const { pool, market, owner, session, seeder, contentId, expiry, domain } = f;
      const a = seeder.account.address;
      await pool.write.submitReceipts([a, [await session.receipt(a, contentId, SIZE)]]);
      if (griefer) {
        const grieferSeeder = newSessionKey().address;
        const huge = 2n ** 64n - 1n;
        const freeId = await registerContent(market, owner, { size: huge, basePrice: 0n });
        const key = newSessionKey();
        assert.equal((await buy(market, owner, freeId, key.address)).total, 0n);
        const own = new LeecherSession(key, key.address, expiry, domain);
        await pool.write.submitReceipts([grieferSeeder, [await own.receipt(grieferSeeder, freeId, huge)]]);
        assert.deepEqual(await pool.read.seederEpoch([0n, grieferSeeder]), [huge, 0n]);
        const ownId = await registerContent(market, owner, { size: 1n, basePrice: BASE_PRICE });
        const licenses = await buy(market, owner, ownId, key.address, 50n);
        await pool.write.submitReceipts([grieferSeeder, [await own.receipt(grieferSeeder, ownId, 1n)]]);
        assert.deepEqual(await pool.read.seederEpoch([0n, grieferSeeder]), [huge + 1n, licenses.networkFee]);
      }
      await time.increase(EPOCH_DURATION);
      const before = await pool.read.balances([a]);
      const hash = await pool.write.claim([[0n]], { account: seeder.account });
      const [share] = await logsOf(f.publicClient, pool, hash, "EpochShareClaimed");
      assert.ok(before > 0n);
      return share.args.amount;
    }

    it("gives the honest seeder its weight whatever a griefer credits: free bytes of maximum size weigh nothing, and self-dealt weight is paid for", async () => {
      const alone = await honestShare(false);
      assert.equal(alone, NETWORK_FEE);
      assert.equal(await honestShare(true), alone);
    });

    it("rolls the pool of an epoch without weight on to the next epoch with weight", async () => {
      const { pool, market, session, seeder, leecher2, contentId, publicClient } = await loadFixture(licensedFixture);
      const a = seeder.account.address;
      // Epoch 0: a purchase, no credit. Epochs 1 and 2: nothing. Epoch 3: the leecher is served.
      await buy(market, leecher2, contentId);
      await time.increase(3n * EPOCH_DURATION);
      assert.deepEqual(await pool.read.rollover(), [2n * NETWORK_FEE, false, 0n]);
      await pool.write.submitReceipts([a, [await session.receipt(a, contentId, SIZE)]]);
      assert.deepEqual(await pool.read.rollover(), [2n * NETWORK_FEE, true, 3n]);
      await time.increase(EPOCH_DURATION);
      const hash = await pool.write.claim([[0n, 3n]], { account: seeder.account });
      const [finalized] = await logsOf(publicClient, pool, hash, "EpochFinalized");
      same(finalized.args, { epoch: 3n, pool: NETWORK_FEE, totalWeight: NETWORK_FEE, rolledForward: NETWORK_FEE });
      assert.deepEqual(await pool.read.epochInfo([0n]), [0n, 0n, true]);
    });

    it("settleEpochShares credits shares to balances, for anyone, once", async () => {
      const { pool, session, seeder, other, contentId } = await loadFixture(licensedFixture);
      const a = seeder.account.address;
      await pool.write.submitReceipts([a, [await session.receipt(a, contentId, SIZE)]]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.settleEpochShares([0n, [a]], { account: other.account }),
        pool,
        "EpochNotFinished",
        [0n, 0n],
      );
      await time.increase(EPOCH_DURATION);
      await viem.assertions.revertWithCustomError(pool.write.settleEpochShares([0n, []], { account: other.account }), pool, "EmptyBatch");
      await viem.assertions.emitWithArgs(
        pool.write.settleEpochShares([0n, [other.account.address, a]], { account: other.account }),
        pool,
        "EpochShareSettled",
        [getAddress(a), 0n, SIZE, NETWORK_FEE, NETWORK_FEE],
      );
      assert.equal(await pool.read.balances([a]), ALLOWANCE + NETWORK_FEE);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.settleEpochShares([0n, [a]], { account: other.account }),
        pool,
        "NothingToSettle",
        [0n],
      );
    });

    it("releases to the owner's recipient exactly the surplus no weight can claim (swept allowances, unserved network fees), never the open weight", async () => {
      const { pool, market, owner, other, session, seeder, leecher2, contentId } = await loadFixture(licensedFixture);
      const a = seeder.account.address;
      await buy(market, leecher2, contentId);
      await pool.write.submitReceipts([a, [await session.receipt(a, contentId, SIZE / 2n)]]);
      const weight = creditLicense(NETWORK_FEE, 0n, SIZE, SIZE / 2n).payout;
      // All of the carry may still pay weight: the two open budgets and the active epoch.
      assert.equal(await pool.read.surplus(), 0n);
      await viem.assertions.revertWithCustomError(pool.write.releaseSurplus([other.account.address]), pool, "NothingToRelease");
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.releaseSurplus([other.account.address], { account: other.account }),
        pool,
        "OwnableUnauthorizedAccount",
        [other.account.address],
      );
      // leecher2's license expires unserved: its allowance and its network fee become surplus.
      await time.increase(ALLOWANCE_EXPIRY);
      await pool.write.sweep([leecher2.account.address, contentId]);
      assert.equal(await pool.read.surplus(), ALLOWANCE + NETWORK_FEE);
      await viem.assertions.balancesHaveChanged(pool.write.releaseSurplus([other.account.address], { account: owner.account }), [
        { address: other.account.address, amount: ALLOWANCE + NETWORK_FEE },
      ]);
      // What is left still pays the seeder its weight and the leecher's unserved half when it is served.
      assert.deepEqual(await pool.read.rollover(), [NETWORK_FEE - weight, false, 0n]);
      assert.equal(await pool.read.openWeight(), NETWORK_FEE - weight);
      await pool.write.submitReceipts([a, [await session.receipt(a, contentId, SIZE)]]);
      const served = await pool.read.currentEpoch();
      await time.increase(EPOCH_DURATION);
      const balance = await pool.read.balances([a]);
      assert.equal(await pool.read.claimable([a, [0n, served]]), balance + NETWORK_FEE);
    });
  });

  describe("claim", () => {
    it("pays the allowance balance alone, and refuses a second claim", async () => {
      const { pool, session, seeder, contentId } = await loadFixture(licensedFixture);
      const s = seeder.account.address;
      await pool.write.submitReceipts([s, [await session.receipt(s, contentId, SIZE)]]);
      assert.equal(await pool.read.claimable([s, []]), ALLOWANCE);
      await viem.assertions.balancesHaveChanged(pool.write.claim([[]], { account: seeder.account }), [
        { address: s, amount: ALLOWANCE },
        { address: pool.address, amount: -ALLOWANCE },
      ]);
      assert.equal(await pool.read.balances([s]), 0n);
      await viem.assertions.revertWithCustomErrorWithArgs(pool.write.claim([[]], { account: seeder.account }), pool, "NothingToClaim", [s]);
    });

    it("refuses to claim an epoch twice, also within one call", async () => {
      const system = await loadFixture(licensedFixture);
      const { pool, seeder } = system;
      const s = seeder.account.address;
      const epoch = await finishedEpochCrediting(system, s);
      // Listing the epoch twice pays it once.
      await viem.assertions.emitWithArgs(pool.write.claim([[epoch, epoch]], { account: seeder.account }), pool, "Claimed", [
        getAddress(s),
        ALLOWANCE,
        NETWORK_FEE,
      ]);
      assert.deepEqual(await pool.read.seederEpoch([epoch, s]), [0n, 0n]);
      assert.equal(await pool.read.claimable([s, [epoch]]), 0n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.claim([[epoch]], { account: seeder.account }),
        pool,
        "NothingToClaim",
        [s],
      );
    });

    it("refuses the current and future epochs", async () => {
      const { pool, seeder } = await loadFixture(licensedFixture);
      await time.increase(5n * EPOCH_DURATION);
      await viem.assertions.revertWithCustomErrorWithArgs(pool.write.claim([[5n]], { account: seeder.account }), pool, "EpochNotFinished", [
        5n,
        5n,
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.claim([[4n, 9n]], { account: seeder.account }),
        pool,
        "EpochNotFinished",
        [9n, 5n],
      );
      // claimable ignores them instead of reverting.
      assert.equal(await pool.read.claimable([seeder.account.address, [5n, 9n]]), 0n);
    });

    it("gives a reentrant claimer nothing more: the nested claim is refused and it is paid once", async () => {
      const system = await loadFixture(licensedFixture);
      const { pool, publicClient } = system;
      const claimer = await viem.deployContract("ReentrantClaimer", [pool.address]);
      const s = claimer.address;
      const epoch = await finishedEpochCrediting(system, s);
      const before = await publicClient.getBalance({ address: pool.address });
      await claimer.write.claim([[epoch]]);
      assert.equal(await claimer.read.attempts(), 1n);
      assert.equal(await claimer.read.lastRevertData(), toFunctionSelector("ReentrancyGuardReentrantCall()"));
      assert.equal(await publicClient.getBalance({ address: s }), ALLOWANCE + NETWORK_FEE);
      assert.equal(await publicClient.getBalance({ address: pool.address }), before - ALLOWANCE - NETWORK_FEE);
      await viem.assertions.revertWithCustomErrorWithArgs(claimer.write.claim([[epoch]]), pool, "NothingToClaim", [s]);
    });
  });
});
