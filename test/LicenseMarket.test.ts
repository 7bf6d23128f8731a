import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeFunctionData,
  getAddress,
  keccak256,
  parseEther,
  parseGwei,
  toFunctionSelector,
  toHex,
  zeroAddress,
  zeroHash,
  type Address,
  type Hex,
} from "viem";
import { CurveKind, curvePrice, nextPrice, quote as sdkQuote, rpow, WAD } from "@web3torrent/sdk/bondingCurve";
import type { ContractReturnType, WalletClient } from "@nomicfoundation/hardhat-viem/types";
import { registrationCommitment } from "@web3torrent/sdk/market";
import { registerAs, TEST_SALT, type ContentParams } from "./helpers/registration.ts";

const { viem, networkHelpers } = await network.create();
const publicClient = await viem.getPublicClient();

const NETWORK_FEE_BPS = 500; // 5%
const DEFAULT_URI = "ipfs://w3t-default/{id}.json";
const MAX_UINT64 = 2n ** 64n - 1n;
const PANIC_ARITHMETIC = 0x11n;
/** A public chain's minimum commitment age (the deployment default): the clock jumps over it. */
const MIN_COMMITMENT_AGE = 60n;

const infohash = (label: string): Hex => keccak256(toHex(label));

/** Content 1 of the fixture: linear, capped at 5, soulbound, 10% bounty. */
function linearParams(payout: Address) {
  return {
    infohash: infohash("linear"),
    size: 1_048_576n,
    payout,
    basePrice: parseEther("0.01"),
    curve: CurveKind.Linear,
    growth: parseEther("0.001"),
    maxSupply: 5n,
    bountyFeeBps: 1_000,
    transferable: false,
    metadataURI: "ipfs://meta-linear",
  };
}

/** Content 2 of the fixture: exponential +5% per license, unlimited, transferable, no bounty. */
function exponentialParams(payout: Address) {
  return {
    infohash: infohash("exponential"),
    size: 7_340_032n,
    payout,
    basePrice: parseEther("0.01"),
    curve: CurveKind.Exponential,
    growth: 500n,
    maxSupply: 0n,
    bountyFeeBps: 0,
    transferable: true,
    metadataURI: "ipfs://meta-exponential",
  };
}

async function deployMarket() {
  const [owner, publisher, buyer, other, payout] = await viem.getWalletClients();
  const pool = await viem.deployContract("RebatePoolStub");
  const market = await viem.deployContract("LicenseMarket", [
    owner.account.address,
    pool.address,
    NETWORK_FEE_BPS,
    DEFAULT_URI,
    MIN_COMMITMENT_AGE,
  ]);
  await register(market, linearParams(payout.account.address), publisher);
  await register(market, exponentialParams(payout.account.address), publisher);
  return { market, pool, owner, publisher, buyer, other, payout };
}

type Fixture = Awaited<ReturnType<typeof deployMarket>>;
type Market = ContractReturnType<"LicenseMarket">;

/** Both steps of a registration from `publisher`, through the sdk's helper; returns the new content id. */
function register(market: Market, p: ContentParams, publisher: WalletClient) {
  return registerAs(market.address, publisher, p);
}

/** Step 1 for tests that send the reveal themselves: commits with TEST_SALT and moves the clock past the minimum. */
async function commitFor(market: Market, infohash_: Hex, publisher: WalletClient) {
  await market.write.commit([registrationCommitment(infohash_, publisher.account.address, TEST_SALT)], {
    account: publisher.account,
  });
  await networkHelpers.time.increase(MIN_COMMITMENT_AGE);
}

/** Buys `quantity` of `contentId` at the current quote, exactly paid. Returns the quote. */
async function buyAtQuote(f: Fixture, contentId: bigint, quantity: bigint, from = f.buyer, recipient?: Address) {
  const [curve, networkFee, bountyFee, total] = await f.market.read.quote([contentId, quantity]);
  await f.market.write.buy([contentId, quantity, recipient ?? from.account.address, total], {
    account: from.account,
    value: total,
  });
  return { curvePrice: curve, networkFee, bountyFee, total };
}

/**
 * Withdraws as `account`, which must be owed exactly `owed`: it receives that much from the market, the event says
 * so, nothing stays owed to it, and withdrawing again reverts NothingToWithdraw.
 */
async function withdrawExactly(f: Fixture, account: Fixture["payout"], owed: bigint) {
  const { market } = f;
  assert.equal(await market.read.proceeds([account.account.address]), owed);
  const tx = market.write.withdrawProceeds({ account: account.account });
  await viem.assertions.balancesHaveChanged(tx, [
    { address: account.account.address, amount: owed },
    { address: market.address, amount: -owed },
  ]);
  await viem.assertions.emitWithArgs(tx, market, "ProceedsWithdrawn", [getAddress(account.account.address), owed]);
  assert.equal(await market.read.proceeds([account.account.address]), 0n);
  await viem.assertions.revertWithCustomError(market.write.withdrawProceeds({ account: account.account }), market, "NothingToWithdraw");
}

/** The Panic code of a reverted call, or undefined when it did not revert with a panic. */
function panicCode(err: unknown): bigint | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  return reverted.data?.errorName === "Panic" ? (reverted.data.args?.[0] as bigint) : undefined;
}

describe("LicenseMarket", () => {
  describe("constructor", () => {
    it("sets the owner, the rebate pool and the network fee, and emits NetworkFeeUpdated(0, fee)", async () => {
      const { market, pool, owner } = await networkHelpers.loadFixture(deployMarket);
      assert.equal(await market.read.owner(), getAddress(owner.account.address));
      assert.equal(await market.read.rebatePool(), getAddress(pool.address));
      assert.equal(await market.read.networkFeeBps(), NETWORK_FEE_BPS);
      const events = await publicClient.getContractEvents({
        address: market.address,
        abi: market.abi,
        eventName: "NetworkFeeUpdated",
        fromBlock: 0n,
      });
      assert.equal(events.length, 1);
      assert.deepEqual(events[0].args, { oldFeeBps: 0, newFeeBps: NETWORK_FEE_BPS });
    });

    it("exposes the caps as constants", async () => {
      const { market } = await networkHelpers.loadFixture(deployMarket);
      assert.equal(await market.read.BPS(), 10_000);
      assert.equal(await market.read.MAX_NETWORK_FEE_BPS(), 1_000);
      assert.equal(await market.read.MAX_BOUNTY_FEE_BPS(), 2_000);
      assert.equal(await market.read.MAX_GROWTH_BPS(), 10_000n);
    });

    it("reverts NetworkFeeTooHigh above 10%", async () => {
      const { market, pool, owner } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.revertWithCustomErrorWithArgs(
        viem.deployContract("LicenseMarket", [owner.account.address, pool.address, 1_001, DEFAULT_URI, MIN_COMMITMENT_AGE]),
        market,
        "NetworkFeeTooHigh",
        [1_001, 1_000],
      );
    });

    it("reverts ZeroRebatePool without a pool", async () => {
      const { market, owner } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.revertWithCustomError(
        viem.deployContract("LicenseMarket", [owner.account.address, zeroAddress, NETWORK_FEE_BPS, DEFAULT_URI, MIN_COMMITMENT_AGE]),
        market,
        "ZeroRebatePool",
      );
    });

    it("reverts OwnableInvalidOwner without an owner", async () => {
      const { market, pool } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.revertWithCustomErrorWithArgs(
        viem.deployContract("LicenseMarket", [zeroAddress, pool.address, NETWORK_FEE_BPS, DEFAULT_URI, MIN_COMMITMENT_AGE]),
        market,
        "OwnableInvalidOwner",
        [zeroAddress],
      );
    });
  });

  describe("registerContent", () => {
    it("stores the record, indexes the infohash and counts ids up from 1", async () => {
      const { market, payout } = await networkHelpers.loadFixture(deployMarket);
      const p = linearParams(payout.account.address);
      assert.equal(await market.read.contentCount(), 2n);
      assert.equal(await market.read.contentIdOf([p.infohash]), 1n);
      assert.equal(await market.read.contentIdOf([exponentialParams(payout.account.address).infohash]), 2n);
      assert.equal(await market.read.contentIdOf([infohash("never registered")]), 0n);
      assert.deepEqual(await market.read.content([1n]), {
        infohash: p.infohash,
        payout: getAddress(p.payout),
        size: p.size,
        bountyFeeBps: p.bountyFeeBps,
        curve: p.curve,
        transferable: p.transferable,
        basePrice: p.basePrice,
        growth: p.growth,
        maxSupply: p.maxSupply,
        supply: 0n,
      });
    });

    it("returns the new id and emits ContentRegistered with every field, and URI", async () => {
      const { market, publisher, payout } = await networkHelpers.loadFixture(deployMarket);
      const p = { ...exponentialParams(payout.account.address), infohash: infohash("third"), maxSupply: 42n };
      await commitFor(market, p.infohash, publisher);
      const { result } = await market.simulate.registerContent([p, TEST_SALT], { account: publisher.account.address });
      assert.equal(result, 3n);
      const tx = market.write.registerContent([p, TEST_SALT], { account: publisher.account });
      await viem.assertions.emitWithArgs(tx, market, "ContentRegistered", [
        3n,
        getAddress(publisher.account.address),
        getAddress(p.payout),
        p.infohash,
        p.size,
        p.basePrice,
        p.curve,
        p.growth,
        p.maxSupply,
        p.bountyFeeBps,
        p.transferable,
        p.metadataURI,
      ]);
      await commitFor(market, infohash("fourth"), publisher);
      await viem.assertions.emitWithArgs(
        market.write.registerContent([{ ...p, infohash: infohash("fourth") }, TEST_SALT], { account: publisher.account }),
        market,
        "URI",
        [p.metadataURI, 4n],
      );
      assert.equal(await market.read.uri([3n]), p.metadataURI);
    });

    it("lets uri() fall back to the default URI for content registered without one", async () => {
      const { market, publisher, payout } = await networkHelpers.loadFixture(deployMarket);
      const p = { ...linearParams(payout.account.address), infohash: infohash("no uri"), metadataURI: "" };
      await register(market, p, publisher);
      assert.equal(await market.read.uri([3n]), DEFAULT_URI);
      assert.equal(await market.read.uri([1n]), "ipfs://meta-linear");
    });

    it("accepts fees and growth at their caps and any linear slope", async () => {
      const { market, publisher, payout } = await networkHelpers.loadFixture(deployMarket);
      const base = exponentialParams(payout.account.address);
      await register(market, { ...base, infohash: infohash("caps"), growth: 10_000n, bountyFeeBps: 2_000 }, publisher);
      await register(market, { ...linearParams(payout.account.address), infohash: infohash("steep"), growth: 2n ** 128n - 1n }, publisher);
      assert.equal(await market.read.contentCount(), 4n);
    });

    it("reverts ZeroInfohash", async () => {
      const { market, publisher, payout } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.revertWithCustomError(
        market.write.registerContent([{ ...linearParams(payout.account.address), infohash: zeroHash }, TEST_SALT], {
          account: publisher.account,
        }),
        market,
        "ZeroInfohash",
      );
    });

    it("reverts InfohashAlreadyRegistered(infohash, id) for any publisher", async () => {
      const { market, other, payout } = await networkHelpers.loadFixture(deployMarket);
      const p = linearParams(payout.account.address);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.registerContent([p, TEST_SALT], { account: other.account }),
        market,
        "InfohashAlreadyRegistered",
        [p.infohash, 1n],
      );
    });

    it("reverts ZeroSize", async () => {
      const { market, publisher, payout } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.revertWithCustomError(
        market.write.registerContent(
          [{ ...linearParams(payout.account.address), infohash: infohash("empty"), size: 0n }, TEST_SALT],
          { account: publisher.account },
        ),
        market,
        "ZeroSize",
      );
    });

    it("reverts ZeroPayoutAddress", async () => {
      const { market, publisher } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.revertWithCustomError(
        market.write.registerContent([{ ...linearParams(zeroAddress), infohash: infohash("nobody") }, TEST_SALT], {
          account: publisher.account,
        }),
        market,
        "ZeroPayoutAddress",
      );
    });

    it("reverts BountyFeeTooHigh above 20%", async () => {
      const { market, publisher, payout } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.registerContent(
          [{ ...linearParams(payout.account.address), infohash: infohash("greedy"), bountyFeeBps: 2_001 }, TEST_SALT],
          { account: publisher.account },
        ),
        market,
        "BountyFeeTooHigh",
        [2_001, 2_000],
      );
    });

    it("reverts GrowthTooHigh above 100% per license on an exponential curve", async () => {
      const { market, publisher, payout } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.registerContent(
          [{ ...exponentialParams(payout.account.address), infohash: infohash("rocket"), growth: 10_001n }, TEST_SALT],
          { account: publisher.account },
        ),
        market,
        "GrowthTooHigh",
        [10_001n, 10_000n],
      );
    });

    it("reverts EnforcedPause while paused", async () => {
      const { market, owner, publisher, payout } = await networkHelpers.loadFixture(deployMarket);
      await market.write.pause({ account: owner.account });
      await viem.assertions.revertWithCustomError(
        market.write.registerContent(
          [{ ...linearParams(payout.account.address), infohash: infohash("paused") }, TEST_SALT],
          { account: publisher.account },
        ),
        market,
        "EnforcedPause",
      );
    });
  });

  describe("commit–reveal registration", () => {
    it("a registration copied from the mempool by another account, with its own payout, fails; the publisher's succeeds", async () => {
      const { market, publisher, other, payout } = await networkHelpers.loadFixture(deployMarket);
      const p = { ...linearParams(payout.account.address), infohash: infohash("front-run me") };
      await commitFor(market, p.infohash, publisher);
      const testClient = await viem.getTestClient();
      await testClient.setAutomine(false);
      try {
        const honest = await market.write.registerContent([p, TEST_SALT], {
          account: publisher.account,
          maxPriorityFeePerGas: parseGwei("1"),
          gas: 1_000_000n,
        });
        // The copier reads the pending reveal (infohash and salt in the clear) and outbids it with its own payout.
        const seen = await publicClient.getTransaction({ hash: honest });
        const { args } = decodeFunctionData({ abi: market.abi, data: seen.input });
        const [params, salt] = args as readonly [typeof p, Hex];
        const copy = await market.write.registerContent([{ ...params, payout: other.account.address }, salt], {
          account: other.account,
          maxPriorityFeePerGas: parseGwei("5"),
          gas: 1_000_000n,
        });
        await testClient.mine({ blocks: 1 });
        const [copied, revealed] = await Promise.all([
          publicClient.getTransactionReceipt({ hash: copy }),
          publicClient.getTransactionReceipt({ hash: honest }),
        ]);
        assert.ok(copied.transactionIndex < revealed.transactionIndex, "the copy was mined first");
        assert.equal(copied.status, "reverted");
        assert.equal(revealed.status, "success");
      } finally {
        await testClient.setAutomine(true);
      }
      assert.equal(await market.read.contentIdOf([p.infohash]), 3n);
      assert.equal((await market.read.content([3n])).payout, getAddress(payout.account.address));
      // The copy's revert: the commitment it names hides the copier's address, and nobody made it.
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.simulate.registerContent([{ ...p, infohash: infohash("copied later") }, TEST_SALT], {
          account: other.account.address,
        }),
        market,
        "CommitmentNotFound",
        [registrationCommitment(infohash("copied later"), other.account.address, TEST_SALT)],
      );
    });

    it("computes the commitment as the sdk does: keccak256(abi.encode(infohash, publisher, salt))", async () => {
      const { market, publisher } = await networkHelpers.loadFixture(deployMarket);
      const h = infohash("commitment");
      assert.equal(
        await market.read.makeCommitment([h, publisher.account.address, TEST_SALT]),
        registrationCommitment(h, publisher.account.address, TEST_SALT),
      );
    });

    it("commit emits RegistrationCommitted(commitment, readyAt, expiresAt) and records the time", async () => {
      const { market, publisher } = await networkHelpers.loadFixture(deployMarket);
      const commitment = registrationCommitment(infohash("event"), publisher.account.address, TEST_SALT);
      const hash = await market.write.commit([commitment], { account: publisher.account });
      const { blockNumber } = await publicClient.getTransactionReceipt({ hash });
      const { timestamp } = await publicClient.getBlock({ blockNumber });
      const [event] = await publicClient.getContractEvents({
        address: market.address,
        abi: market.abi,
        eventName: "RegistrationCommitted",
        blockHash: (await publicClient.getBlock({ blockNumber })).hash,
      });
      assert.deepEqual(event.args, {
        commitment,
        readyAt: timestamp + MIN_COMMITMENT_AGE,
        expiresAt: timestamp + 86_400n,
      });
      assert.equal(await market.read.commitments([commitment]), timestamp);
      assert.equal(await market.read.minCommitmentAge(), MIN_COMMITMENT_AGE);
      assert.equal(await market.read.MAX_COMMITMENT_AGE(), 86_400n);
    });

    it("refuses a reveal too early with CommitmentTooNew(commitment, readyAt), and too late with CommitmentExpired", async () => {
      const { market, publisher, payout } = await networkHelpers.loadFixture(deployMarket);
      const p = { ...linearParams(payout.account.address), infohash: infohash("timing") };
      const commitment = registrationCommitment(p.infohash, publisher.account.address, TEST_SALT);
      await market.write.commit([commitment], { account: publisher.account });
      const committedAt = await market.read.commitments([commitment]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.registerContent([p, TEST_SALT], { account: publisher.account }),
        market,
        "CommitmentTooNew",
        [commitment, committedAt + MIN_COMMITMENT_AGE],
      );
      await networkHelpers.time.setNextBlockTimestamp(committedAt + 86_400n + 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.registerContent([p, TEST_SALT], { account: publisher.account }),
        market,
        "CommitmentExpired",
        [commitment, committedAt + 86_400n],
      );
    });

    it("refuses a reveal with no commitment, or once its commitment was consumed, with CommitmentNotFound", async () => {
      const { market, publisher, payout } = await networkHelpers.loadFixture(deployMarket);
      const p = { ...linearParams(payout.account.address), infohash: infohash("unknown") };
      const commitment = registrationCommitment(p.infohash, publisher.account.address, TEST_SALT);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.registerContent([p, TEST_SALT], { account: publisher.account }),
        market,
        "CommitmentNotFound",
        [commitment],
      );
      await commitFor(market, p.infohash, publisher);
      await market.write.registerContent([p, TEST_SALT], { account: publisher.account });
      assert.equal(await market.read.commitments([commitment]), 0n);
    });

    it("refuses to make a pending commitment again with CommitmentPending (its clock cannot be reset)", async () => {
      const { market, publisher, other } = await networkHelpers.loadFixture(deployMarket);
      const commitment = registrationCommitment(infohash("pending"), publisher.account.address, TEST_SALT);
      await market.write.commit([commitment], { account: publisher.account });
      const committedAt = await market.read.commitments([commitment]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.commit([commitment], { account: other.account }),
        market,
        "CommitmentPending",
        [commitment, committedAt + 86_400n],
      );
    });

    it("bounds the minimum commitment age at deployment: CommitmentAgeOutOfBounds below 1 s and above 1 hour", async () => {
      const { market, owner, pool } = await networkHelpers.loadFixture(deployMarket);
      for (const age of [0n, 3_601n]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          viem.deployContract("LicenseMarket", [owner.account.address, pool.address, NETWORK_FEE_BPS, DEFAULT_URI, age]),
          market,
          "CommitmentAgeOutOfBounds",
          [age, 1n, 3_600n],
        );
      }
    });

    it("refuses commitments while paused with EnforcedPause", async () => {
      const { market, owner, publisher } = await networkHelpers.loadFixture(deployMarket);
      await market.write.pause({ account: owner.account });
      await viem.assertions.revertWithCustomError(
        market.write.commit([infohash("paused commitment")], { account: publisher.account }),
        market,
        "EnforcedPause",
      );
    });
  });

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
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.read.quote([2n, 2n ** 64n]),
        market,
        "MaxSupplyExceeded",
        [2n, 2n ** 64n, MAX_UINT64],
      );
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
        [2n, getAddress(buyer.account.address), getAddress(other.account.address), 1n, parseEther("0.01"), networkFee, bountyFee, 1n, parseEther("0.0105")],
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
        [1n, getAddress(buyer.account.address), getAddress(buyer.account.address), 5n, parseEther("0.06"), (v: bigint) => v > 0n, (v: bigint) => v > 0n, 5n, parseEther("0.015")],
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
      await viem.assertions.revertWithCustomErrorWithArgs(market.write.buy([9n, 1n, to, parseEther("1")], opts), market, "UnknownContent", [9n]);
      await viem.assertions.revertWithCustomErrorWithArgs(market.write.buy([1n, 6n, to, parseEther("1")], opts), market, "MaxSupplyExceeded", [1n, 6n, 5n]);
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
      await viem.assertions.revertWithCustomError(market.write.withdrawProceeds({ account: publisher.account }), market, "NothingToWithdraw");
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
      await register(market, { ...linearParams(other.account.address), infohash: infohash("one wei"), basePrice: 1n, growth: 0n, maxSupply: 0n }, publisher);
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
      await viem.assertions.emitWithArgs(
        market.write.withdrawProceeds({ account: payout.account }),
        market,
        "ProceedsWithdrawn",
        [getAddress(payout.account.address), price],
      );
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
      await viem.assertions.emitWithArgs(market.write.setNetworkFee([1_000], { account: owner.account }), market, "NetworkFeeUpdated", [NETWORK_FEE_BPS, 1_000]);
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
      await viem.assertions.revertWithCustomErrorWithArgs(market.write.setNetworkFee([0], { account: other.account }), market, "OwnableUnauthorizedAccount", who);
      await viem.assertions.revertWithCustomErrorWithArgs(market.write.pause({ account: other.account }), market, "OwnableUnauthorizedAccount", who);
      await market.write.pause({ account: owner.account });
      await viem.assertions.revertWithCustomErrorWithArgs(market.write.unpause({ account: other.account }), market, "OwnableUnauthorizedAccount", who);
    });

    it("pause and unpause emit Paused/Unpaused and cannot be repeated", async () => {
      const { market, owner } = await networkHelpers.loadFixture(deployMarket);
      await viem.assertions.emitWithArgs(market.write.pause({ account: owner.account }), market, "Paused", [getAddress(owner.account.address)]);
      assert.equal(await market.read.paused(), true);
      await viem.assertions.revertWithCustomError(market.write.pause({ account: owner.account }), market, "EnforcedPause");
      await viem.assertions.emitWithArgs(market.write.unpause({ account: owner.account }), market, "Unpaused", [getAddress(owner.account.address)]);
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

  describe("agreement with the sdk curve math", () => {
    /** mulberry32: a small deterministic PRNG, so a failure reproduces from the printed seed. */
    function prng(seed: number) {
      let a = seed >>> 0;
      const next = () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
      /** A bigint spread over magnitudes: 10^k · u for k uniform in [0, maxDigits]. */
      const magnitude = (maxDigits: number) => BigInt(int(0, 999)) * 10n ** BigInt(int(0, maxDigits));
      return { next, int, magnitude };
    }

    async function deployForAgreement() {
      const [owner, publisher, buyer] = await viem.getWalletClients();
      const pool = await viem.deployContract("RebatePoolStub");
      const market = await viem.deployContract("LicenseMarket", [owner.account.address, pool.address, 1_000, DEFAULT_URI, MIN_COMMITMENT_AGE]);
      // Exponential purchases far up the curve cost more ether than exists; the test only needs them to happen.
      await networkHelpers.setBalance(buyer.account.address, 2n ** 200n);
      return { market, publisher, buyer };
    }

    it("quote equals the sdk's quote to the wei over 1,000+ random points of each curve kind", async () => {
      const seed = Number(process.env.W3T_AGREEMENT_SEED ?? 0x5eed1ce);
      console.log(`agreement seed ${seed} (set W3T_AGREEMENT_SEED to reproduce another)`);
      const rand = prng(seed);
      const { market, publisher, buyer } = await networkHelpers.loadFixture(deployForAgreement);
      const networkFeeBps = BigInt(await market.read.networkFeeBps());

      const CONTENTS_PER_KIND = 8;
      const ROUNDS = 6; // quotes at 6 supplies per content, moved by random purchases in between
      const QUOTES_PER_ROUND = 26; // 1,248 quotes per curve kind, so each kind has 1,000+ points besides overflows
      const points = { [CurveKind.Linear]: 0, [CurveKind.Exponential]: 0 };
      let overflows = 0;

      for (let k = 0; k < 2 * CONTENTS_PER_KIND; k++) {
        const curve = k % 2 === 0 ? CurveKind.Linear : CurveKind.Exponential;
        const growthBps = [0n, 1n, 10_000n][rand.int(0, 9)] ?? BigInt(rand.int(0, 10_000));
        const params = {
          infohash: infohash(`agreement-${seed}-${k}`),
          size: BigInt(rand.int(1, 2 ** 30)),
          payout: publisher.account.address,
          basePrice: rand.magnitude(18),
          curve,
          growth: curve === CurveKind.Linear ? rand.magnitude(17) : growthBps,
          maxSupply: 0n,
          bountyFeeBps: rand.int(0, 2_000),
          transferable: false,
          metadataURI: "",
        };
        await register(market, params, publisher);
        const id = await market.read.contentCount();
        // Roughly how far up an exponential curve prices stay inside uint256 (r^n · base < 2^256 / 1e18).
        const horizon = curve === CurveKind.Exponential && params.growth > 0n
          ? Math.floor(150 / Math.log2(1 + Number(params.growth) / 10_000))
          : 2 ** 40;

        let supply = 0n;
        for (let round = 0; round < ROUNDS; round++) {
          for (let i = 0; i < QUOTES_PER_ROUND; i++) {
            // Mostly small purchases, many up to the curve's horizon, some beyond it (where both must overflow).
            const roll = rand.next();
            const reach = roll < 0.5 ? 16 : roll < 0.9 ? Math.min(horizon, 2 ** 40) : Math.min(4 * horizon, 2 ** 40);
            const quantity = BigInt(rand.int(1, Math.max(1, reach)));
            let expected: ReturnType<typeof sdkQuote> | undefined;
            try {
              expected = sdkQuote(params, supply, quantity, networkFeeBps, BigInt(params.bountyFeeBps));
            } catch (err) {
              assert.ok(err instanceof RangeError);
            }
            if (expected === undefined) {
              // Where the sdk finds the arithmetic out of range, the contract reverts with an overflow panic.
              await assert.rejects(market.read.quote([id, quantity]), (e) => panicCode(e) === PANIC_ARITHMETIC);
              overflows++;
              continue;
            }
            const [price, networkFee, bountyFee, total] = await market.read.quote([id, quantity]);
            assert.deepEqual(
              { curvePrice: price, networkFee, bountyFee, total },
              expected,
              `content ${id} (curve ${curve}, base ${params.basePrice}, growth ${params.growth}) supply ${supply} quantity ${quantity}`,
            );
            points[curve]++;
          }
          assert.equal(await market.read.nextPrice([id]), nextPrice(curve, params.basePrice, params.growth, supply));
          // Move the supply by a random purchase the buyer can pay (2^200 wei), then compare again.
          const step = BigInt(rand.int(1, Math.max(1, Math.floor(Math.min(horizon, 2 ** 32) / (2 * ROUNDS)))));
          const cost = (() => {
            try {
              return sdkQuote(params, supply, step, networkFeeBps, BigInt(params.bountyFeeBps)).total;
            } catch {
              return undefined;
            }
          })();
          if (cost === undefined || cost > 2n ** 199n) continue;
          const hash = await market.write.buy([id, step, buyer.account.address, cost], { account: buyer.account, value: cost });
          const [event] = await publicClient.getContractEvents({
            address: market.address,
            abi: market.abi,
            eventName: "LicensesPurchased",
            blockHash: (await publicClient.getTransactionReceipt({ hash })).blockHash,
          });
          supply += step;
          assert.equal(event.args.newSupply, supply);
          assert.equal(event.args.nextPrice, curvePrice(curve, params.basePrice, params.growth, supply, 1n));
        }
      }
      console.log(
        `agreement: ${points[CurveKind.Linear]} linear + ${points[CurveKind.Exponential]} exponential points equal, ` +
          `${overflows} overflows agreed`,
      );
      assert.ok(points[CurveKind.Linear] >= 1_000, `linear points: ${points[CurveKind.Linear]}`);
      assert.ok(points[CurveKind.Exponential] >= 1_000, `exponential points: ${points[CurveKind.Exponential]}`);
      assert.ok(overflows > 0, "no point reached the overflow edge");
    });
  });
});
