/** LicenseMarket: quote and nextPrice, buy. Set-up in `helpers/marketFixtures.ts`. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getAddress, parseEther, zeroAddress } from "viem";
import { rpow, WAD } from "@web3torrent/sdk/bondingCurve";
import {
  viem,
  networkHelpers,
  publicClient,
  MAX_UINT64,
  PANIC_ARITHMETIC,
  infohash,
  deployMarket,
  register,
  buyAtQuote,
  panicCode,
  linearParams,
  exponentialParams,
} from "./helpers/marketFixtures.ts";

describe("LicenseMarket", () => {
  describe("quote and nextPrice", () => {
    it("prices a linear curve: q·base + slope·(q·s + q(q−1)/2), fees on top", async () => {
      const { market } = await networkHelpers.loadFixture(deployMarket);
      // 0.01 + 0.011 + 0.012 = 0.033 ether; 5% network fee, 10% bounty fee.
      assert.deepEqual(await market.read.quote([1n, 3n]), [
        parseEther("0.033"),
        parseEther("0.00165"),
        parseEther("0.0033"),
        parseEther("0.03795"),
      ]);
      assert.equal(await market.read.nextPrice([1n]), parseEther("0.01"));
    });

    it("prices an exponential curve: base·r^i summed in closed form", async () => {
      const { market } = await networkHelpers.loadFixture(deployMarket);
      // 0.01 + 0.0105 = 0.0205 ether; no bounty fee.
      assert.deepEqual(await market.read.quote([2n, 2n]), [parseEther("0.0205"), parseEther("0.001025"), 0n, parseEther("0.021525")]);
    });

    it("moves with supply: quote after a purchase continues the curve, nextPrice is quote(1)", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      await buyAtQuote(f, 1n, 2n);
      await buyAtQuote(f, 2n, 3n);
      assert.equal(await f.market.read.nextPrice([1n]), parseEther("0.012"));
      assert.equal((await f.market.read.quote([1n, 1n]))[0], parseEther("0.012"));
      // 1.05^3 · 0.01 ether, as rpow computes it.
      const expected = (parseEther("0.01") * (rpow(WAD + 500n * 10n ** 14n, 4n) - rpow(WAD + 500n * 10n ** 14n, 3n))) / (500n * 10n ** 14n);
      assert.equal(await f.market.read.nextPrice([2n]), expected);
      assert.equal(expected, 11_576_250_000_000_000n);
    });

    it("uses the current network fee", async () => {
      const { market, owner } = await networkHelpers.loadFixture(deployMarket);
      await market.write.setNetworkFee([1_000], { account: owner.account });
      const [price, networkFee] = await market.read.quote([1n, 1n]);
      assert.equal(networkFee, price / 10n);
    });

    it("prices a flat exponential curve (growth 0) as q·base", async () => {
      const { market, publisher, payout } = await networkHelpers.loadFixture(deployMarket);
      await register(market, { ...exponentialParams(payout.account.address), infohash: infohash("flat"), growth: 0n }, publisher);
      assert.equal((await market.read.quote([3n, 7n]))[0], 7n * parseEther("0.01"));
    });

    it("reverts ZeroQuantity", async () => {
      const { market } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.revertWithCustomError(market.read.quote([1n, 0n]), market, "ZeroQuantity");
    });

    it("reverts UnknownContent(id) for ids never registered", async () => {
      const { market } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.revertWithCustomErrorWithArgs(market.read.quote([0n, 1n]), market, "UnknownContent", [0n]);
      await viem.assertions.revertWithCustomErrorWithArgs(market.read.quote([3n, 1n]), market, "UnknownContent", [3n]);
      await viem.assertions.revertWithCustomErrorWithArgs(market.read.nextPrice([3n]), market, "UnknownContent", [3n]);
    });

    it("reverts MaxSupplyExceeded(id, quantity, remaining) past the cap, and nextPrice once sold out", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.revertWithCustomErrorWithArgs(f.market.read.quote([1n, 6n]), f.market, "MaxSupplyExceeded", [1n, 6n, 5n]);
      await buyAtQuote(f, 1n, 5n);
      await viem.assertions.revertWithCustomErrorWithArgs(f.market.read.quote([1n, 1n]), f.market, "MaxSupplyExceeded", [1n, 1n, 0n]);
      await viem.assertions.revertWithCustomErrorWithArgs(f.market.read.nextPrice([1n]), f.market, "MaxSupplyExceeded", [1n, 1n, 0n]);
    });

    it("bounds unlimited supply by the uint64 counter", async () => {
      const { market } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.revertWithCustomErrorWithArgs(market.read.quote([2n, 2n ** 64n]), market, "MaxSupplyExceeded", [
        2n,
        2n ** 64n,
        MAX_UINT64,
      ]);
    });

    it("reverts with an arithmetic panic where an exponential price leaves uint256", async () => {
      const { market, publisher, payout } = await networkHelpers.loadFixture(deployMarket);
      await register(market, { ...exponentialParams(payout.account.address), infohash: infohash("doubling"), growth: 10_000n }, publisher);
      // Doubling per license: 2^190 · 0.01 ether fits, 2^300 does not.
      assert.equal((await market.read.quote([3n, 1n]))[0], parseEther("0.01"));
      await market.read.quote([3n, 190n]);
      await assert.rejects(market.read.quote([3n, 300n]), (err) => panicCode(err) === PANIC_ARITHMETIC);
    });
  });

  describe("buy", () => {
    it("mints to the recipient, credits the publisher, funds the recipient's allowance, emits LicensesPurchased", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      const { market, pool, buyer, payout } = f;
      const [price, networkFee, bountyFee, total] = await market.read.quote([1n, 2n]);
      const tx = market.write.buy([1n, 2n, buyer.account.address, total], { account: buyer.account, value: total });
      await viem.assertions.balancesHaveChanged(tx, [
        { address: buyer.account.address, amount: -total },
        { address: market.address, amount: price },
        { address: pool.address, amount: networkFee + bountyFee },
      ]);
      const receipt = await publicClient.getTransactionReceipt({ hash: await tx });
      const [purchased] = await publicClient.getContractEvents({
        address: market.address,
        abi: market.abi,
        eventName: "LicensesPurchased",
        blockHash: receipt.blockHash,
      });
      assert.deepEqual(purchased.args, {
        contentId: 1n,
        buyer: getAddress(buyer.account.address),
        recipient: getAddress(buyer.account.address),
        quantity: 2n,
        curvePrice: price,
        networkFee,
        bountyFee,
        newSupply: 2n,
        nextPrice: parseEther("0.012"),
      });
      assert.equal(await market.read.balanceOf([buyer.account.address, 1n]), 2n);
      assert.equal((await market.read.content([1n])).supply, 2n);
      assert.equal(await market.read.proceeds([payout.account.address]), price);
      assert.equal(await pool.read.allowance([buyer.account.address, 1n]), bountyFee);
      assert.equal(await pool.read.pooled(), networkFee);
    });

    it("emits the ERC-1155 TransferSingle mint and hands the pool the network fee for its epoch pool and the bounty fee as the allowance", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      const { market, pool, buyer } = f;
      const [, networkFee, bountyFee, total] = await market.read.quote([1n, 1n]);
      const hash = await market.write.buy([1n, 1n, buyer.account.address, total], { account: buyer.account, value: total });
      await viem.assertions.emitWithArgs(Promise.resolve(hash), market, "TransferSingle", [
        getAddress(buyer.account.address),
        zeroAddress,
        getAddress(buyer.account.address),
        1n,
        1n,
      ]);
      await viem.assertions.emitWithArgs(Promise.resolve(hash), pool, "AllowanceFunded", [
        getAddress(buyer.account.address),
        1n,
        bountyFee,
      ]);
      await viem.assertions.emitWithArgs(Promise.resolve(hash), pool, "NetworkFeePooled", [
        getAddress(buyer.account.address),
        1n,
        networkFee,
      ]);
    });

    it("gifts: the payer pays, the recipient gets the licenses, the allowance and the weight budget", async () => {
      const { market, pool, buyer, other } = await networkHelpers.loadFixture(deployMarket);
      const [, networkFee, bountyFee, total] = await market.read.quote([2n, 1n]);
      await viem.assertions.emitWithArgs(
        market.write.buy([2n, 1n, other.account.address, total], { account: buyer.account, value: total }),
        market,
        "LicensesPurchased",
        [
          2n,
          getAddress(buyer.account.address),
          getAddress(other.account.address),
          1n,
          parseEther("0.01"),
          networkFee,
          bountyFee,
          1n,
          parseEther("0.0105"),
        ],
      );
      assert.equal(await market.read.hasLicense([other.account.address, 2n]), true);
      assert.equal(await market.read.hasLicense([buyer.account.address, 2n]), false);
      assert.equal(await pool.read.allowance([other.account.address, 2n]), bountyFee);
      assert.equal(await pool.read.weightBudget([other.account.address, 2n]), networkFee);
      assert.equal(await pool.read.weightBudget([buyer.account.address, 2n]), 0n);
    });

    it("refunds overpayment to the payer", async () => {
      const { market, pool, buyer, other } = await networkHelpers.loadFixture(deployMarket);
      const [price, networkFee, bountyFee, total] = await market.read.quote([1n, 1n]);
      await viem.assertions.balancesHaveChanged(
        market.write.buy([1n, 1n, other.account.address, total + parseEther("1")], {
          account: buyer.account,
          value: total + parseEther("1"),
        }),
        [
          { address: buyer.account.address, amount: -total },
          { address: market.address, amount: price },
          { address: pool.address, amount: networkFee + bountyFee },
          { address: other.account.address, amount: 0n },
        ],
      );
    });

    it("skips the pool when there are no fees (free content, zero network fee)", async () => {
      const { market, pool, owner, publisher, buyer, payout } = await networkHelpers.loadFixture(deployMarket);
      await market.write.setNetworkFee([0], { account: owner.account });
      await register(market, { ...linearParams(payout.account.address), infohash: infohash("free"), basePrice: 0n, growth: 0n }, publisher);
      assert.deepEqual(await market.read.quote([3n, 4n]), [0n, 0n, 0n, 0n]);
      const hash = await market.write.buy([3n, 4n, buyer.account.address, 0n], { account: buyer.account });
      const receipt = await publicClient.getTransactionReceipt({ hash });
      assert.equal(receipt.logs.filter((l) => getAddress(l.address) === getAddress(pool.address)).length, 0);
      assert.equal(await market.read.balanceOf([buyer.account.address, 3n]), 4n);
      assert.equal(await market.read.proceeds([payout.account.address]), 0n);
    });

    it("reports the curve's next price in the event even when the purchase sells out", async () => {
      const { market, buyer } = await networkHelpers.loadFixture(deployMarket);
      const [, , , total] = await market.read.quote([1n, 5n]);
      await viem.assertions.emitWithArgs(
        market.write.buy([1n, 5n, buyer.account.address, total], { account: buyer.account, value: total }),
        market,
        "LicensesPurchased",
        [
          1n,
          getAddress(buyer.account.address),
          getAddress(buyer.account.address),
          5n,
          parseEther("0.06"),
          (v: bigint) => v > 0n,
          (v: bigint) => v > 0n,
          5n,
          parseEther("0.015"),
        ],
      );
    });

    it("reverts SlippageExceeded(total, maxTotal) above the caller's limit", async () => {
      const { market, buyer } = await networkHelpers.loadFixture(deployMarket);
      const [, , , total] = await market.read.quote([1n, 2n]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([1n, 2n, buyer.account.address, total - 1n], { account: buyer.account, value: total }),
        market,
        "SlippageExceeded",
        [total, total - 1n],
      );
    });

    it("front-running: a purchase landing between quote and buy moves the price past maxTotal", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      const { market, buyer, other } = f;
      const [, , , quoted] = await market.read.quote([2n, 3n]);
      await buyAtQuote(f, 2n, 1n, other);
      const [, , , moved] = await market.read.quote([2n, 3n]);
      assert.ok(moved > quoted);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([2n, 3n, buyer.account.address, quoted], { account: buyer.account, value: moved }),
        market,
        "SlippageExceeded",
        [moved, quoted],
      );
    });

    it("reverts InsufficientPayment(total, paid)", async () => {
      const { market, buyer } = await networkHelpers.loadFixture(deployMarket);
      const [, , , total] = await market.read.quote([1n, 1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([1n, 1n, buyer.account.address, total], { account: buyer.account, value: total - 1n }),
        market,
        "InsufficientPayment",
        [total, total - 1n],
      );
    });

    it("reverts ZeroRecipient", async () => {
      const { market, buyer } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.revertWithCustomError(
        market.write.buy([1n, 1n, zeroAddress, parseEther("1")], { account: buyer.account, value: parseEther("1") }),
        market,
        "ZeroRecipient",
      );
    });

    it("reverts ZeroQuantity, UnknownContent and MaxSupplyExceeded like quote", async () => {
      const { market, buyer } = await networkHelpers.loadFixture(deployMarket);
      const opts = { account: buyer.account, value: parseEther("1") };
      const to = buyer.account.address;
      await viem.assertions.revertWithCustomError(market.write.buy([1n, 0n, to, parseEther("1")], opts), market, "ZeroQuantity");
      await viem.assertions.revertWithCustomErrorWithArgs(market.write.buy([9n, 1n, to, parseEther("1")], opts), market, "UnknownContent", [
        9n,
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([1n, 6n, to, parseEther("1")], opts),
        market,
        "MaxSupplyExceeded",
        [1n, 6n, 5n],
      );
    });

    it("reverts ERC1155InvalidReceiver when the recipient contract does not accept ERC-1155", async () => {
      const { market, pool, buyer } = await networkHelpers.loadFixture(deployMarket);
      const [, , , total] = await market.read.quote([1n, 1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([1n, 1n, pool.address, total], { account: buyer.account, value: total }),
        market,
        "ERC1155InvalidReceiver",
        [getAddress(pool.address)],
      );
    });

    it("reverts EnforcedPause while paused and sells again after unpause", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      const { market, owner, buyer } = f;
      await market.write.pause({ account: owner.account });
      await viem.assertions.revertWithCustomError(
        market.write.buy([1n, 1n, buyer.account.address, parseEther("1")], { account: buyer.account, value: parseEther("1") }),
        market,
        "EnforcedPause",
      );
      await market.write.unpause({ account: owner.account });
      await buyAtQuote(f, 1n, 1n);
      assert.equal(await market.read.balanceOf([buyer.account.address, 1n]), 1n);
    });

    it("gas: one license for a first-time buyer stays within 120k, also on a payout's first sale and after a withdrawal (prints 1 and 10 licenses)", async () => {
      const f = await networkHelpers.loadFixture(deployMarket);
      const { market, buyer, other, publisher, owner, payout } = f;
      const afterWithdrawalBuyer = (await viem.getWalletClients())[5]; // not one of the fixture's accounts
      const gasOf = async (contentId: bigint, quantity: bigint, from: typeof buyer) => {
        const [, , , total] = await market.read.quote([contentId, quantity]);
        const hash = await market.write.buy([contentId, quantity, from.account.address, total], { account: from.account, value: total });
        return (await publicClient.getTransactionReceipt({ hash })).gasUsed;
      };
      // The first sale ever credited to the payout address: its proceeds slot already holds the sentinel written at
      // registration, so the buyer does not pay for a fresh slot.
      const firstSaleOfPayout = await gasOf(2n, 1n, other);
      // First-time buyers of contents with sales; the buyer's balance slot and its pool allowance slot are fresh.
      const linear1 = await gasOf(1n, 1n, buyer);
      const exponential1 = await gasOf(2n, 1n, buyer);
      await register(market, { ...linearParams(f.payout.account.address), infohash: infohash("unlimited"), maxSupply: 0n }, publisher);
      await gasOf(3n, 1n, other);
      const linear10 = await gasOf(3n, 10n, publisher);
      const exponential10 = await gasOf(2n, 10n, owner);
      // The withdrawal leaves the sentinel: the next sale again updates a live slot.
      await market.write.withdrawProceeds({ account: payout.account });
      const firstSaleAfterWithdrawal = await gasOf(1n, 1n, afterWithdrawalBuyer);
      console.log(
        `gas buy (first-time buyer): 1 license linear ${linear1}, exponential ${exponential1}; ` +
          `10 licenses linear ${linear10}, exponential ${exponential10}; ` +
          `first sale ever credited to a payout address ${firstSaleOfPayout}; first sale after a withdrawal ${firstSaleAfterWithdrawal}`,
      );
      assert.ok(linear1 <= 120_000n, `linear: ${linear1}`);
      assert.ok(exponential1 <= 120_000n, `exponential: ${exponential1}`);
      assert.ok(firstSaleOfPayout <= 120_000n, `first sale of a payout: ${firstSaleOfPayout}`);
      assert.ok(firstSaleAfterWithdrawal <= 120_000n, `first sale after a withdrawal: ${firstSaleAfterWithdrawal}`);
    });
  });
});
