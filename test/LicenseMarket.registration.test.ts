/** LicenseMarket: constructor, registerContent, commit–reveal registration. Set-up in `helpers/marketFixtures.ts`. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeFunctionData, getAddress, parseGwei, zeroAddress, zeroHash, type Hex } from "viem";
import { registrationCommitment } from "@web3torrent/sdk/market";
import { TEST_SALT } from "./helpers/registration.ts";
import {
  viem,
  networkHelpers,
  publicClient,
  NETWORK_FEE_BPS,
  DEFAULT_URI,
  MIN_COMMITMENT_AGE,
  infohash,
  linearParams,
  exponentialParams,
  deployMarket,
  register,
  commitFor,
} from "./helpers/marketFixtures.ts";

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
        market.write.registerContent([{ ...linearParams(payout.account.address), infohash: infohash("empty"), size: 0n }, TEST_SALT], {
          account: publisher.account,
        }),
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
        market.write.registerContent([{ ...linearParams(payout.account.address), infohash: infohash("paused") }, TEST_SALT], {
          account: publisher.account,
        }),
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
});
