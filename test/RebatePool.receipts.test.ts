/** RebatePool: submitReceipts. Set-up in `helpers/rebatePoolFixtures.ts`. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getAddress, type Address } from "viem";
import {
  EPOCH_DURATION,
  LeecherSession,
  buy,
  creditLicense,
  newSessionKey,
  registerContent,
  signReceipt,
  deployPoolAndMarket,
  type Pool,
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
  licensedFixture,
  logsOf,
} from "./helpers/rebatePoolFixtures.ts";

/** `session`'s receipt of 10 bytes of `contentId` for seeder `s` reverts NoLicense(its leecher, contentId). */
async function assertNoLicense(pool: Pool, s: Address, session: LeecherSession, contentId: bigint) {
  await viem.assertions.revertWithCustomErrorWithArgs(
    pool.write.submitReceipts([s, [await session.receipt(s, contentId, 10n)]]),
    pool,
    "NoLicense",
    [session.leecher, contentId],
  );
}

describe("RebatePool", () => {
  describe("submitReceipts", () => {
    it("pays the seeder from the license's allowance and records its bytes and their network-fee weight in the current epoch", async () => {
      const { pool, session, seeder, leecher, contentId, publicClient } = await loadFixture(licensedFixture);
      const bytes = 250_000n;
      const expected = creditLicense(ALLOWANCE, 0n, SIZE, bytes);
      const weight = creditLicense(NETWORK_FEE, 0n, SIZE, bytes).payout;
      const hash = await pool.write.submitReceipts(
        [seeder.account.address, [await session.receipt(seeder.account.address, contentId, bytes)]],
        {
          account: seeder.account,
        },
      );
      const [event] = await logsOf(publicClient, pool, hash, "ReceiptCredited");
      same(event.args, {
        leecher: leecher.account.address,
        seeder: seeder.account.address,
        contentId,
        cumulativeBytes: bytes,
        creditedBytes: bytes,
        payout: expected.payout,
        weight,
        epoch: 0n,
      });
      assert.equal(expected.payout, (ALLOWANCE * bytes) / SIZE);
      assert.equal(weight, (NETWORK_FEE * bytes) / SIZE);
      assert.equal(await pool.read.weightBudget([leecher.account.address, contentId]), NETWORK_FEE - weight);
      assert.equal(await pool.read.balances([seeder.account.address]), expected.payout);
      assert.equal(await pool.read.credited([leecher.account.address, seeder.account.address, contentId]), bytes);
      assert.deepEqual(await pool.read.allowance([leecher.account.address, contentId]), [
        ALLOWANCE - expected.payout,
        bytes,
        (await pool.read.allowance([leecher.account.address, contentId]))[2],
      ]);
      // The seeder's record of the epoch: its bytes and their network-fee part, its weight and its cap.
      assert.deepEqual(await pool.read.seederEpoch([0n, seeder.account.address]), [bytes, weight]);
      // The pool holds the license's network fee; the epoch would keep its weight of it, the rest rolls on.
      assert.deepEqual(await pool.read.epochInfo([0n]), [weight, weight, false]);
      assert.deepEqual(await pool.read.rollover(), [NETWORK_FEE, true, 0n]);
    });

    it("accepts a batch from anyone on the seeder's behalf, one event per receipt, and credits the seeder", async () => {
      const { pool, session, seeder, leecher2, other, market, contentId, domain, expiry, publicClient } =
        await loadFixture(licensedFixture);
      await buy(market, leecher2, contentId);
      const session2 = new LeecherSession(leecher2, leecher2.account.address, expiry, domain);
      const s = seeder.account.address;
      const hash = await pool.write.submitReceipts(
        [s, [await session.receipt(s, contentId, 100n), await session2.receipt(s, contentId, 300n)]],
        { account: other.account },
      );
      const events = await logsOf(publicClient, pool, hash, "ReceiptCredited");
      same(
        events.map((e) => [e.args.leecher, e.args.creditedBytes]),
        [
          [session.leecher, 100n],
          [session2.leecher, 300n],
        ],
      );
      const earned = (ALLOWANCE * 100n) / SIZE + (ALLOWANCE * 300n) / SIZE;
      const weight = (NETWORK_FEE * 100n) / SIZE + (NETWORK_FEE * 300n) / SIZE;
      assert.deepEqual(await pool.read.seederEpoch([0n, s]), [400n, weight]);
      assert.deepEqual(await pool.read.seederEpoch([0n, other.account.address]), [0n, 0n]);
      assert.equal(await pool.read.balances([s]), earned);
      assert.equal(await pool.read.balances([other.account.address]), 0n);
    });

    it("pays exactly to the wei and exactly the allowance once the whole size is credited, across seeders", async () => {
      const { pool, session, seeder, seeder2, leecher, contentId } = await loadFixture(licensedFixture);
      // Cumulative receipts per seeder, interleaved; each credit pays remaining × credited ÷ bytes left.
      const steps: Array<[typeof seeder, bigint]> = [
        [seeder, 1n],
        [seeder2, 333_333n],
        [seeder, 500_000n],
        [seeder2, 333_334n],
        [seeder, 666_669n],
      ];
      let remaining = ALLOWANCE;
      let bytesCredited = 0n;
      const last = new Map<Address, bigint>();
      const paid = new Map<Address, bigint>();
      for (const [who, cumulative] of steps) {
        const s = who.account.address;
        const { credited, payout } = creditLicense(remaining, bytesCredited, SIZE, cumulative - (last.get(s) ?? 0n));
        await pool.write.submitReceipts([s, [await session.receipt(s, contentId, cumulative)]]);
        remaining -= payout;
        bytesCredited += credited;
        last.set(s, cumulative);
        paid.set(s, (paid.get(s) ?? 0n) + payout);
        const [onChainRemaining, onChainBytes] = await pool.read.allowance([leecher.account.address, contentId]);
        assert.deepEqual([onChainRemaining, onChainBytes], [remaining, bytesCredited]);
        assert.equal(await pool.read.balances([s]), paid.get(s));
      }
      assert.equal(bytesCredited, SIZE);
      assert.equal(remaining, 0n);
      assert.equal((paid.get(seeder.account.address) ?? 0n) + (paid.get(seeder2.account.address) ?? 0n), ALLOWANCE);
    });

    it("caps the bytes credited against one license at the content size, summed over seeders", async () => {
      const { pool, session, seeder, seeder2, leecher, contentId, publicClient } = await loadFixture(licensedFixture);
      const a = seeder.account.address;
      const b = seeder2.account.address;
      await pool.write.submitReceipts([a, [await session.receipt(a, contentId, SIZE - 10n)]]);
      const hash = await pool.write.submitReceipts([b, [await session.receipt(b, contentId, 1_000n)]]);
      const [capped] = await logsOf(publicClient, pool, hash, "ReceiptCredited");
      assert.equal(capped.args.creditedBytes, 10n);
      assert.equal((await pool.read.allowance([leecher.account.address, contentId]))[0], 0n);
      // Past the cap a receipt is accepted (the seeder's cumulative moves on) but credits and pays nothing.
      const after = await pool.write.submitReceipts([b, [await session.receipt(b, contentId, 5_000n)]]);
      const [nothing] = await logsOf(publicClient, pool, after, "ReceiptCredited");
      assert.deepEqual([nothing.args.creditedBytes, nothing.args.payout], [0n, 0n]);
      assert.equal(await pool.read.credited([leecher.account.address, b, contentId]), 5_000n);
      const [, weightB] = await pool.read.seederEpoch([0n, b]);
      assert.ok(weightB > 0n && weightB <= NETWORK_FEE, "the last 10 bytes weigh the rest of the budget");
      assert.equal(await pool.read.weightBudget([leecher.account.address, contentId]), 0n);
      assert.deepEqual(await pool.read.epochInfo([0n]), [NETWORK_FEE, NETWORK_FEE, false]);
      assert.equal((await pool.read.balances([a])) + (await pool.read.balances([b])), ALLOWANCE);
    });

    it("refuses an empty batch", async () => {
      const { pool, seeder } = await loadFixture(licensedFixture);
      await viem.assertions.revertWithCustomError(pool.write.submitReceipts([seeder.account.address, []]), pool, "EmptyBatch");
    });

    it("refuses a receipt whose delegation has expired", async () => {
      const { pool, leecher, seeder, contentId, domain } = await loadFixture(licensedFixture);
      const expiry = BigInt(await time.latest()) + 3_600n;
      const session = new LeecherSession(leecher, leecher.account.address, expiry, domain);
      const s = seeder.account.address;
      const receipt = await session.receipt(s, contentId, 10n);
      // Valid up to and including the expiry second.
      await time.setNextBlockTimestamp(expiry);
      await pool.write.submitReceipts([s, [receipt]]);
      await time.setNextBlockTimestamp(expiry + 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([s, [await session.receipt(s, contentId, 20n)]]),
        pool,
        "DelegationExpired",
        [leecher.account.address, expiry],
      );
    });

    it("refuses a delegation signed by another wallet than the leecher", async () => {
      const { pool, leecher, other, seeder, contentId, domain, expiry } = await loadFixture(licensedFixture);
      // `other` signs a delegation claiming to speak for `leecher`.
      const forged = new LeecherSession(other, leecher.account.address, expiry, domain);
      const s = seeder.account.address;
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([s, [await forged.receipt(s, contentId, 10n)]]),
        pool,
        "InvalidDelegationSignature",
        [leecher.account.address, forged.sessionKey.address],
      );
    });

    it("refuses a receipt not signed by the delegated session key, or signed for another seeder", async () => {
      const { pool, session, leecher, seeder, seeder2, contentId } = await loadFixture(licensedFixture);
      const s = seeder.account.address;
      const receipt = await session.receipt(s, contentId, 10n);
      // The same receipt, signed by a key the leecher never delegated.
      const receiptSig = await signReceipt(newSessionKey(), session.domain, {
        leecher: leecher.account.address,
        seeder: s,
        contentId,
        cumulativeBytes: 10n,
      });
      const byStranger = { ...receipt, receiptSig };
      await viem.assertions.revertWithCustomErrorWithArgs(pool.write.submitReceipts([s, [byStranger]]), pool, "InvalidReceiptSignature", [
        leecher.account.address,
        session.sessionKey.address,
      ]);
      // The receipt names `seeder`; submitting it for `seeder2` breaks the signature.
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([seeder2.account.address, [receipt]]),
        pool,
        "InvalidReceiptSignature",
        [leecher.account.address, session.sessionKey.address],
      );
      // A malformed signature is refused the same way, not with a panic.
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([s, [{ ...receipt, receiptSig: "0x1234" }]]),
        pool,
        "InvalidReceiptSignature",
        [leecher.account.address, session.sessionKey.address],
      );
    });

    it("refuses signatures bound to another pool deployment or another chain id", async () => {
      const f = await loadFixture(licensedFixture);
      const { pool, leecher, seeder, contentId, expiry, chainId, owner, publisher } = f;
      const s = seeder.account.address;
      const me = leecher.account.address;
      // A second deployment where the leecher also holds a license: its receipts must not count here, nor ours there.
      const { pool: pool2, market: market2 } = await deployPoolAndMarket(viem, owner.account.address);
      const contentId2 = await registerContent(market2, publisher, { size: SIZE, basePrice: BASE_PRICE });
      assert.equal(contentId2, contentId);
      await buy(market2, leecher, contentId2);

      const sessionKey = newSessionKey();
      const forPool2 = new LeecherSession(leecher, me, expiry, { chainId, pool: pool2.address }, sessionKey);
      const signedForPool2 = await forPool2.receipt(s, contentId, 10n);
      await pool2.write.submitReceipts([s, [signedForPool2]]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([s, [signedForPool2]]),
        pool,
        "InvalidDelegationSignature",
        [me, sessionKey.address],
      );
      // Same session key with a valid delegation here: a receipt signed for pool2 still fails.
      const here = new LeecherSession(leecher, me, expiry, f.domain, sessionKey);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([s, [{ ...signedForPool2, delegationSig: await here.delegation() }]]),
        pool,
        "InvalidReceiptSignature",
        [me, sessionKey.address],
      );
      // Another chain id, same contract address.
      const otherChain = new LeecherSession(leecher, me, expiry, { chainId: 1, pool: pool.address }, sessionKey);
      const signedOnChain1 = await otherChain.receipt(s, contentId, 10n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([s, [signedOnChain1]]),
        pool,
        "InvalidDelegationSignature",
        [me, sessionKey.address],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([s, [{ ...signedOnChain1, delegationSig: await here.delegation() }]]),
        pool,
        "InvalidReceiptSignature",
        [me, sessionKey.address],
      );
      // The properly bound receipt is accepted.
      await pool.write.submitReceipts([s, [await here.receipt(s, contentId, 10n)]]);
    });

    it("refuses receipts for content the leecher holds no license for", async () => {
      const { pool, market, publisher, leecher2, seeder, contentId, domain, expiry, session } = await loadFixture(licensedFixture);
      const s = seeder.account.address;
      const unlicensed = new LeecherSession(leecher2, leecher2.account.address, expiry, domain);
      await assertNoLicense(pool, s, unlicensed, contentId);
      // The leecher holds a license of `contentId`, not of another registered content.
      const otherContent = await registerContent(market, publisher, { size: SIZE, basePrice: BASE_PRICE });
      assert.equal(await market.read.hasLicense([session.leecher, contentId]), true);
      await assertNoLicense(pool, s, session, otherContent);
      // Nor of a content that does not exist.
      await assertNoLicense(pool, s, session, 999n);
    });

    it("follows a transferred license: the old holder is refused, the new one credits bytes from its own (empty) allowance", async () => {
      const { pool, market, publisher, leecher, leecher2, seeder, domain, expiry, publicClient } = await loadFixture(licensedFixture);
      const transferable = await registerContent(market, publisher, {
        size: SIZE,
        basePrice: BASE_PRICE,
        transferable: true,
      });
      await buy(market, leecher, transferable);
      await market.write.safeTransferFrom([leecher.account.address, leecher2.account.address, transferable, 1n, "0x"], {
        account: leecher.account,
      });
      const s = seeder.account.address;
      const oldHolder = new LeecherSession(leecher, leecher.account.address, expiry, domain);
      await assertNoLicense(pool, s, oldHolder, transferable);
      const newHolder = new LeecherSession(leecher2, leecher2.account.address, expiry, domain);
      const hash = await pool.write.submitReceipts([s, [await newHolder.receipt(s, transferable, 10n)]]);
      const [event] = await logsOf(publicClient, pool, hash, "ReceiptCredited");
      assert.deepEqual([event.args.creditedBytes, event.args.payout], [10n, 0n]);
      assert.equal((await pool.read.allowance([leecher.account.address, transferable]))[0], ALLOWANCE);
    });

    it("skips a stale or replayed receipt with ReceiptSkipped and credits the rest of its batch", async () => {
      const { pool, session, seeder, leecher, contentId } = await loadFixture(licensedFixture);
      const s = seeder.account.address;
      const me = getAddress(leecher.account.address);
      const first = await session.receipt(s, contentId, 1_000n);
      await pool.write.submitReceipts([s, [first]]);
      const balance = await pool.read.balances([s]);
      await viem.assertions.emitWithArgs(pool.write.submitReceipts([s, [first]]), pool, "ReceiptSkipped", [
        me,
        getAddress(s),
        contentId,
        1_000n,
        1_000n,
      ]);
      await viem.assertions.emitWithArgs(
        pool.write.submitReceipts([s, [await session.receipt(s, contentId, 999n)]]),
        pool,
        "ReceiptSkipped",
        [me, getAddress(s), contentId, 999n, 1_000n],
      );
      assert.equal(await pool.read.balances([s]), balance, "a skipped receipt pays nothing");
      // A good receipt followed by a duplicate of itself: the good one is credited, the duplicate skipped.
      const next = await session.receipt(s, contentId, 2_000n);
      await viem.assertions.emitWithArgs(pool.write.submitReceipts([s, [next, next]]), pool, "ReceiptSkipped", [
        me,
        getAddress(s),
        contentId,
        2_000n,
        2_000n,
      ]);
      assert.equal(await pool.read.credited([me, s, contentId]), 2_000n);
      assert.equal((await pool.read.allowance([me, contentId]))[1], 2_000n);
    });

    it("a receipt front-run by someone else's submission does not void the seeder's batch (issue 11)", async () => {
      const { pool, session, seeder, other, leecher2, market, contentId, domain, expiry } = await loadFixture(licensedFixture);
      await buy(market, leecher2, contentId);
      const session2 = new LeecherSession(leecher2, leecher2.account.address, expiry, domain);
      const s = seeder.account.address;
      const mine = await session.receipt(s, contentId, 5_000n);
      const theirs = await session2.receipt(s, contentId, 7_000n);
      // The leecher (anyone) submits one receipt of the seeder's pending batch first.
      await pool.write.submitReceipts([s, [mine]], { account: other.account });
      const before = await pool.read.balances([s]);
      await pool.write.submitReceipts([s, [mine, theirs]], { account: seeder.account });
      assert.equal(await pool.read.credited([leecher2.account.address, s, contentId]), 7_000n);
      assert.equal((await pool.read.balances([s])) - before, creditLicense(ALLOWANCE, 0n, SIZE, 7_000n).payout);
    });

    it("accepts a leecher that is an ERC-1271 smart-contract wallet, and refuses a delegation its owner did not sign", async () => {
      const { pool, market, leecher2, seeder, contentId, domain, expiry } = await loadFixture(licensedFixture);
      const walletOwner = newSessionKey();
      const wallet = await viem.deployContract("TestERC1271Wallet", [walletOwner.address]);
      await buy(market, leecher2, contentId, wallet.address);
      const s = seeder.account.address;
      const signedByOwner = new LeecherSession(walletOwner, wallet.address, expiry, domain);
      await viem.assertions.emitWithArgs(
        pool.write.submitReceipts([s, [await signedByOwner.receipt(s, contentId, SIZE)]]),
        pool,
        "ReceiptCredited",
        [wallet.address, s, contentId, SIZE, SIZE, ALLOWANCE, NETWORK_FEE, 0n],
      );
      const signedByStranger = new LeecherSession(newSessionKey(), wallet.address, expiry, domain);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([s, [await signedByStranger.receipt(s, contentId, SIZE + 1n)]]),
        pool,
        "InvalidDelegationSignature",
        [wallet.address, signedByStranger.sessionKey.address],
      );
    });

    it("refuses for wallet B a delegation its owner signed for wallet A (the Delegation names its wallet)", async () => {
      const { pool, market, leecher2, seeder, contentId, domain, expiry } = await loadFixture(licensedFixture);
      // Two smart wallets of one owner, each checking the owner's signature over the raw digest.
      const owner = newSessionKey();
      const walletA = await viem.deployContract("TestERC1271Wallet", [owner.address]);
      const walletB = await viem.deployContract("TestERC1271Wallet", [owner.address]);
      await buy(market, leecher2, contentId, walletA.address);
      await buy(market, leecher2, contentId, walletB.address);
      const s = seeder.account.address;
      const forA = new LeecherSession(owner, walletA.address, expiry, domain);
      const asB = new LeecherSession(owner, walletB.address, expiry, domain, forA.sessionKey);
      const borrowed = { ...(await asB.receipt(s, contentId, SIZE)), delegationSig: await forA.delegation() };
      await viem.assertions.revertWithCustomErrorWithArgs(pool.write.submitReceipts([s, [borrowed]]), pool, "InvalidDelegationSignature", [
        walletB.address,
        forA.sessionKey.address,
      ]);
      await viem.assertions.emitWithArgs(
        pool.write.submitReceipts([s, [await forA.receipt(s, contentId, SIZE)]]),
        pool,
        "ReceiptCredited",
        [walletA.address, s, contentId, SIZE, SIZE, ALLOWANCE, NETWORK_FEE, 0n],
      );
    });

    it("keeps working while the market is paused", async () => {
      const { pool, market, session, seeder, contentId } = await loadFixture(licensedFixture);
      await market.write.pause();
      const s = seeder.account.address;
      await pool.write.submitReceipts([s, [await session.receipt(s, contentId, 10n)]]);
      await time.increase(EPOCH_DURATION);
      await pool.write.settleEpochShares([0n, [s]]);
      await pool.write.claim([[]], { account: seeder.account });
    });
  });
});
