/** LicenseMarket: withdrawProceeds, licenses, admin, reentrancy. Set-up in `helpers/marketFixtures.ts`. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getAddress, parseEther, toFunctionSelector, type Address } from "viem";
import {
  viem,
  networkHelpers,
  publicClient,
  NETWORK_FEE_BPS,
  infohash,
  deployMarket,
  register,
  buyAtQuote,
  withdrawExactly,
  linearParams,
  exponentialParams,
} from "./helpers/marketFixtures.ts";

describe("LicenseMarket", () => {
  describe("withdrawProceeds", () => {
    it("pays the payout address everything owed across its contents and emits ProceedsWithdrawn", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      const { market, payout } = f;
      const a = await buyAtQuote(f, 1n, 2n);
      const b = await buyAtQuote(f, 2n, 3n);
      await withdrawExactly(f, payout, a.curvePrice + b.curvePrice);
      assert.equal(await publicClient.getBalance({ address: market.address }), 0n);
    });

    it("reverts NothingToWithdraw for anyone else, and after a withdrawal", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      const { market, publisher, payout } = f;
      await buyAtQuote(f, 1n, 1n);
      // The publisher registered the content but the proceeds belong to its payout address.
      await viem.assertions.revertWithCustomError(
        market.write.withdrawProceeds({ account: publisher.account }),
        market,
        "NothingToWithdraw",
      );
      await market.write.withdrawProceeds({ account: payout.account });
      await viem.assertions.revertWithCustomError(market.write.withdrawProceeds({ account: payout.account }), market, "NothingToWithdraw");
    });

    it("reads 0 and reverts NothingToWithdraw for a payout with no sales and for an address never a payout", async () => {
      const { market, payout, other } = await networkHelpers.loadFixture(deployMarket);
      for (const account of [payout.account, other.account]) {
        assert.equal(await market.read.proceeds([account.address]), 0n);
        await viem.assertions.revertWithCustomError(market.write.withdrawProceeds({ account }), market, "NothingToWithdraw");
      }
    });

    it("owes and pays exactly the wei credited around the sentinel: a 1-wei sale, a withdrawal, the next sales", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      const { market, pool, publisher, other } = f;
      // A fresh payout address and a content whose licenses cost exactly 1 wei (the fees round down to 0).
      await register(
        market,
        { ...linearParams(other.account.address), infohash: infohash("one wei"), basePrice: 1n, growth: 0n, maxSupply: 0n },
        publisher,
      );
      // Only `other` is owed anything here: after each withdrawal the market holds no wei at all.
      const withdrawAll = async (owed: bigint) => {
        await withdrawExactly(f, other, owed);
        assert.equal(await publicClient.getBalance({ address: market.address }), 0n);
      };
      assert.equal(await market.read.proceeds([other.account.address]), 0n);
      const first = await buyAtQuote(f, 3n, 1n);
      assert.deepEqual([first.curvePrice, first.total], [1n, 1n]);
      assert.equal(await pool.read.allowance([f.buyer.account.address, 3n]), 0n);
      await withdrawAll(1n);
      await buyAtQuote(f, 3n, 1n);
      await withdrawAll(1n);
      await buyAtQuote(f, 3n, 5n);
      await buyAtQuote(f, 3n, 2n);
      await withdrawAll(7n);
    });

    it("registering another content for a payout that is owed keeps what it is owed", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      const { market, publisher, other, payout } = f;
      const a = await buyAtQuote(f, 1n, 2n);
      // Another publisher registers a content paying the same address.
      await register(market, { ...exponentialParams(payout.account.address), infohash: infohash("same payout") }, other);
      await register(market, { ...linearParams(payout.account.address), infohash: infohash("same payout 2") }, publisher);
      assert.equal(await market.read.proceeds([payout.account.address]), a.curvePrice);
      const b = await buyAtQuote(f, 3n, 1n);
      await withdrawExactly(f, payout, a.curvePrice + b.curvePrice);
    });

    it("works while paused", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      const { market, owner, payout } = f;
      const { curvePrice: price } = await buyAtQuote(f, 1n, 1n);
      await market.write.pause({ account: owner.account });
      await viem.assertions.emitWithArgs(market.write.withdrawProceeds({ account: payout.account }), market, "ProceedsWithdrawn", [
        getAddress(payout.account.address),
        price,
      ]);
    });
  });

  describe("licenses", () => {
    it("hasLicense and licenseInfo report holdings and the content size", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      const { market, buyer, other } = f;
      await buyAtQuote(f, 1n, 1n);
      assert.equal(await market.read.hasLicense([buyer.account.address, 1n]), true);
      assert.equal(await market.read.hasLicense([other.account.address, 1n]), false);
      assert.deepEqual(await market.read.licenseInfo([buyer.account.address, 1n]), [true, 1_048_576n]);
      assert.deepEqual(await market.read.licenseInfo([other.account.address, 2n]), [false, 7_340_032n]);
      assert.deepEqual(await market.read.licenseInfo([buyer.account.address, 7n]), [false, 0n]);
    });

    it("soulbound licenses cannot be transferred, singly or in a batch", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      const { market, buyer, other } = f;
      await buyAtQuote(f, 1n, 1n);
      await buyAtQuote(f, 2n, 1n);
      const [from, to] = [buyer.account.address, other.account.address];
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.safeTransferFrom([from, to, 1n, 1n, "0x"], { account: buyer.account }),
        market,
        "Soulbound",
        [1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.safeBatchTransferFrom([from, to, [2n, 1n], [1n, 1n], "0x"], { account: buyer.account }),
        market,
        "Soulbound",
        [1n],
      );
    });

    it("transferable licenses move, and the rebate allowance and weight budget stay with the original recipient", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      const { market, pool, buyer, other } = f;
      const { networkFee } = await buyAtQuote(f, 2n, 1n);
      await viem.assertions.emitWithArgs(
        market.write.safeTransferFrom([buyer.account.address, other.account.address, 2n, 1n, "0x"], { account: buyer.account }),
        market,
        "TransferSingle",
        [getAddress(buyer.account.address), getAddress(buyer.account.address), getAddress(other.account.address), 2n, 1n],
      );
      assert.equal(await market.read.hasLicense([other.account.address, 2n]), true);
      assert.equal(await market.read.hasLicense([buyer.account.address, 2n]), false);
      assert.equal(await pool.read.weightBudget([buyer.account.address, 2n]), networkFee);
      assert.equal(await pool.read.weightBudget([other.account.address, 2n]), 0n);
    });

    it("content() reverts UnknownContent for ids never registered", async () => {
      const { market } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.revertWithCustomErrorWithArgs(market.read.content([3n]), market, "UnknownContent", [3n]);
    });

    it("supports the ERC-1155 and metadata interfaces", async () => {
      const { market } = await networkHelpers.loadFixture(deployMarket);
      assert.equal(await market.read.supportsInterface(["0xd9b67a26"]), true); // IERC1155
      assert.equal(await market.read.supportsInterface(["0x0e89341c"]), true); // IERC1155MetadataURI
    });
  });

  describe("admin", () => {
    it("setNetworkFee: the owner sets up to 10%, NetworkFeeUpdated(old, new)", async () => {
      const { market, owner } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.emitWithArgs(market.write.setNetworkFee([1_000], { account: owner.account }), market, "NetworkFeeUpdated", [
        NETWORK_FEE_BPS,
        1_000,
      ]);
      assert.equal(await market.read.networkFeeBps(), 1_000);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.setNetworkFee([1_001], { account: owner.account }),
        market,
        "NetworkFeeTooHigh",
        [1_001, 1_000],
      );
    });

    it("only the owner may set the fee, pause or unpause", async () => {
      const { market, owner, other } = await networkHelpers.loadFixture(deployMarket);
      const who: [Address] = [getAddress(other.account.address)];
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.setNetworkFee([0], { account: other.account }),
        market,
        "OwnableUnauthorizedAccount",
        who,
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.pause({ account: other.account }),
        market,
        "OwnableUnauthorizedAccount",
        who,
      );
      await market.write.pause({ account: owner.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.unpause({ account: other.account }),
        market,
        "OwnableUnauthorizedAccount",
        who,
      );
    });

    it("pause and unpause emit Paused/Unpaused and cannot be repeated", async () => {
      const { market, owner } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.emitWithArgs(market.write.pause({ account: owner.account }), market, "Paused", [
        getAddress(owner.account.address),
      ]);
      assert.equal(await market.read.paused(), true);
      await viem.assertions.revertWithCustomError(market.write.pause({ account: owner.account }), market, "EnforcedPause");
      await viem.assertions.emitWithArgs(market.write.unpause({ account: owner.account }), market, "Unpaused", [
        getAddress(owner.account.address),
      ]);
      await viem.assertions.revertWithCustomError(market.write.unpause({ account: owner.account }), market, "ExpectedPause");
    });

    it("ownership moves in two steps (Ownable2Step)", async () => {
      const { market, owner, other, buyer } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.emitWithArgs(
        market.write.transferOwnership([other.account.address], { account: owner.account }),
        market,
        "OwnershipTransferStarted",
        [getAddress(owner.account.address), getAddress(other.account.address)],
      );
      assert.equal(await market.read.owner(), getAddress(owner.account.address));
      assert.equal(await market.read.pendingOwner(), getAddress(other.account.address));
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.acceptOwnership({ account: buyer.account }),
        market,
        "OwnableUnauthorizedAccount",
        [getAddress(buyer.account.address)],
      );
      await viem.assertions.emitWithArgs(market.write.acceptOwnership({ account: other.account }), market, "OwnershipTransferred", [
        getAddress(owner.account.address),
        getAddress(other.account.address),
      ]);
      await market.write.setNetworkFee([0], { account: other.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.setNetworkFee([0], { account: owner.account }),
        market,
        "OwnableUnauthorizedAccount",
        [getAddress(owner.account.address)],
      );
    });
  });

  describe("reentrancy", () => {
    async function deployAttacker() {
      const f = await deployMarket();
      const attacker = await viem.deployContract("ReentrantReceiver", [f.market.address]);
      const p = { ...exponentialParams(attacker.address), infohash: infohash("attacker"), bountyFeeBps: 500 };
      await register(f.market, p, f.publisher);
      return { ...f, attacker, attackerContent: 3n };
    }

    const ATTACK = { WithdrawProceeds: 1, Buy: 2 } as const;

    for (const [name, mode] of Object.entries(ATTACK)) {
      it(`a payout contract re-entering ${name} from receive gets exactly its proceeds`, async () => {
        const f = await networkHelpers.loadFixture(deployAttacker);
        const { market, attacker, attackerContent } = f;
        const { curvePrice: owed } = await buyAtQuote(f, attackerContent, 4n);
        await networkHelpers.setBalance(attacker.address, parseEther("1")); // funds a re-entrant buy
        await attacker.write.setAttack([mode, attackerContent]);
        await viem.assertions.balancesHaveChanged(attacker.write.withdrawProceeds(), [
          { address: attacker.address, amount: owed },
          { address: market.address, amount: -owed },
        ]);
        assert.equal(await attacker.read.attempts(), 1n);
        assert.equal(await attacker.read.successes(), 0n);
        assert.equal(await attacker.read.lastError(), toFunctionSelector("ReentrancyGuardReentrantCall()"));
        assert.equal((await market.read.content([attackerContent])).supply, 4n);
        assert.equal(await market.read.proceeds([attacker.address]), 0n);
      });
    }

    it("a buyer re-entering from its refund or its license mint gets nothing extra", async () => {
      const f = await networkHelpers.loadFixture(deployAttacker);
      const { market, attacker } = f;
      const [price, , , total] = await market.read.quote([2n, 1n]);
      await attacker.write.setAttack([ATTACK.Buy, 2n]);
      // Re-enters once from onERC1155Received, once from the refund.
      await attacker.write.buy([2n, 1n, total], { value: total + parseEther("1") });
      assert.equal(await attacker.read.attempts(), 2n);
      assert.equal(await attacker.read.successes(), 0n);
      assert.equal(await market.read.balanceOf([attacker.address, 2n]), 1n);
      assert.equal((await market.read.content([2n])).supply, 1n);
      assert.equal(await publicClient.getBalance({ address: attacker.address }), parseEther("1"));
      assert.equal(await publicClient.getBalance({ address: market.address }), price);
    });
  });
});
