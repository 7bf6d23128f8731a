import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import {
  getAddress,
  hashTypedData,
  keccak256,
  toHex,
  parseEther,
  parseEventLogs,
  toFunctionSelector,
  type Address,
  type ContractEventName,
  type Hash,
} from "viem";
import { delegationTypes, rebatePoolDomain, receiptTypes } from "@web3torrent/sdk/eip712";
import { MIN_COMMITMENT_AGE } from "./helpers/registration.ts";
import {
  ALLOWANCE_EXPIRY,
  DAY,
  EPOCH_DURATION,
  LeecherSession,
  MAX_NETWORK_FEE_BPS,
  buy,
  creditLicense,
  lowerAddresses,
  newSessionKey,
  registerContent,
  signReceipt,
  type Pool,
} from "./helpers/rebate.ts";

const { viem, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

/** Deep equality that ignores the letter case of addresses. */
function same(actual: unknown, expected: unknown) {
  assert.deepEqual(lowerAddresses(actual), lowerAddresses(expected));
}

/** Deliberately not a round number, so per-byte payouts round. */
const SIZE = 1_000_003n;
const BASE_PRICE = parseEther("1");
/** The 20% bounty fee of the base price: a license's rebate allowance. */
const ALLOWANCE = parseEther("0.2");
/** The 10% network fee of the base price: paid into the epoch pool, a license's weight budget. */
const NETWORK_FEE = parseEther("0.1");
const DELEGATION_LIFETIME = 400n * DAY;

async function deployFixture() {
  const [owner, publisher, leecher, seeder, seeder2, other, leecher2] = await viem.getWalletClients();
  const publicClient = await viem.getPublicClient();
  const chainId = await publicClient.getChainId();
  const pool = await viem.deployContract("RebatePool", [
    owner.account.address,
    Number(EPOCH_DURATION),
    Number(ALLOWANCE_EXPIRY),
  ]);
  const market = await viem.deployContract("LicenseMarket", [
    owner.account.address,
    pool.address,
    MAX_NETWORK_FEE_BPS,
    "ipfs://w3t/{id}",
    MIN_COMMITMENT_AGE,
  ]);
  await pool.write.bindLicenseMarket([market.address]);
  const contentId = await registerContent(market, publisher, { size: SIZE, basePrice: BASE_PRICE });
  const domain = { chainId, pool: pool.address };
  return {
    owner,
    publisher,
    leecher,
    seeder,
    seeder2,
    other,
    leecher2,
    publicClient,
    chainId,
    pool,
    market,
    contentId,
    domain,
  };
}

/** The leecher holds a license with a 0.2 ETH allowance (and 0.1 ETH network fee in the pool) and has delegated a
 * session key. */
async function licensedFixture() {
  const f = await deployFixture();
  await buy(f.market, f.leecher, f.contentId);
  const expiry = BigInt(await time.latest()) + DELEGATION_LIFETIME;
  const session = new LeecherSession(f.leecher, f.leecher.account.address, expiry, f.domain);
  return { ...f, expiry, session };
}

async function logsOf<const TName extends ContractEventName<Pool["abi"]>>(
  publicClient: Awaited<ReturnType<typeof viem.getPublicClient>>,
  pool: Pool,
  hash: Hash,
  eventName: TName,
) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  return parseEventLogs({ abi: pool.abi, logs: receipt.logs, eventName });
}

describe("RebatePool", () => {
  describe("deployment", () => {
    it("records the owner, the epoch length, the allowance expiry and the genesis time", async () => {
      const { pool, owner, publicClient } = await loadFixture(deployFixture);
      same(await pool.read.owner(), owner.account.address);
      assert.equal(BigInt(await pool.read.epochDuration()), EPOCH_DURATION);
      assert.equal(BigInt(await pool.read.allowanceExpiry()), ALLOWANCE_EXPIRY);
      const deployTx = await publicClient.getTransactionReceipt({
        hash: (
          await publicClient.getContractEvents({
            address: pool.address,
            abi: pool.abi,
            eventName: "OwnershipTransferred",
            fromBlock: 0n,
          })
        )[0].transactionHash,
      });
      const block = await publicClient.getBlock({ blockNumber: deployTx.blockNumber });
      assert.equal(await pool.read.genesis(), block.timestamp);
      assert.equal(await pool.read.currentEpoch(), 0n);
      const [scheduleSet] = await publicClient.getContractEvents({
        address: pool.address,
        abi: pool.abi,
        eventName: "EpochScheduleSet",
        fromBlock: deployTx.blockNumber,
        toBlock: deployTx.blockNumber,
      });
      assert.deepEqual(scheduleSet.args, {
        genesis: block.timestamp,
        epochDuration: Number(EPOCH_DURATION),
        allowanceExpiry: Number(ALLOWANCE_EXPIRY),
      });
    });

    it("uses the sdk's EIP-712 domain and type strings", async () => {
      const { pool, chainId } = await loadFixture(deployFixture);
      const [, name, version, domainChainId, verifyingContract] = await pool.read.eip712Domain();
      const expected = rebatePoolDomain(chainId, pool.address);
      same(
        { name, version, chainId: Number(domainChainId), verifyingContract },
        {
          name: expected.name,
          version: expected.version,
          chainId: expected.chainId,
          verifyingContract: expected.verifyingContract,
        },
      );
      const receipt = {
        leecher: pool.address,
        seeder: chainIdAddress(chainId),
        contentId: 7n,
        cumulativeBytes: 12_345n,
      };
      assert.equal(
        await pool.read.hashReceipt([receipt.leecher, receipt.seeder, receipt.contentId, receipt.cumulativeBytes]),
        hashTypedData({ domain: expected, types: receiptTypes, primaryType: "Receipt", message: receipt }),
      );
      const typeString = (name: string, fields: readonly { name: string; type: string }[]) =>
        `${name}(${fields.map((f) => `${f.type} ${f.name}`).join(",")})`;
      assert.equal(await pool.read.RECEIPT_TYPEHASH(), keccak256(toHex(typeString("Receipt", receiptTypes.Receipt))));
      // The delegation names its wallet first: Delegation(address wallet,address sessionKey,uint64 expiry).
      assert.equal(delegationTypes.Delegation[0].name, "wallet");
      assert.equal(
        await pool.read.DELEGATION_TYPEHASH(),
        keccak256(toHex(typeString("Delegation", delegationTypes.Delegation))),
      );
      const delegation = { wallet: receipt.leecher, sessionKey: receipt.seeder, expiry: 1_900_000_000n };
      assert.equal(
        await pool.read.hashDelegation([delegation.wallet, delegation.sessionKey, delegation.expiry]),
        hashTypedData({ domain: expected, types: delegationTypes, primaryType: "Delegation", message: delegation }),
      );
    });

    it("rejects a zero epoch duration, a zero allowance expiry and a zero owner", async () => {
      const { pool, owner } = await loadFixture(deployFixture);
      const me = owner.account.address;
      await viem.assertions.revertWithCustomError(
        viem.deployContract("RebatePool", [me, 0, 1]),
        pool,
        "ZeroEpochDuration",
      );
      await viem.assertions.revertWithCustomError(
        viem.deployContract("RebatePool", [me, 1, 0]),
        pool,
        "ZeroAllowanceExpiry",
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        viem.deployContract("RebatePool", ["0x0000000000000000000000000000000000000000", 1, 1]),
        pool,
        "OwnableInvalidOwner",
        ["0x0000000000000000000000000000000000000000"],
      );
    });

    it("has no pause: the ABI offers nothing that could block receipts or claims", async () => {
      const { pool } = await loadFixture(deployFixture);
      const names = pool.abi.filter((item) => item.type === "function").map((item) => item.name);
      assert.ok(!names.some((name) => /pause/i.test(name)));
    });
  });

  describe("bindLicenseMarket", () => {
    async function unboundFixture() {
      const [owner, other] = await viem.getWalletClients();
      const pool = await viem.deployContract("RebatePool", [owner.account.address, 3600, 7200]);
      const market = await viem.deployContract("LicenseMarket", [owner.account.address, pool.address, 1000, "", MIN_COMMITMENT_AGE]);
      return { owner, other, pool, market };
    }

    it("binds the market once and emits LicenseMarketBound", async () => {
      const { pool, market } = await loadFixture(unboundFixture);
      await viem.assertions.emitWithArgs(pool.write.bindLicenseMarket([market.address]), pool, "LicenseMarketBound", [
        market.address,
      ]);
      same(await pool.read.licenseMarket(), market.address);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.bindLicenseMarket([market.address]),
        pool,
        "MarketAlreadyBound",
        [market.address],
      );
    });

    it("is owner-only, refuses the zero address, and follows a two-step ownership transfer", async () => {
      const { pool, market, other } = await loadFixture(unboundFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.bindLicenseMarket([market.address], { account: other.account }),
        pool,
        "OwnableUnauthorizedAccount",
        [other.account.address],
      );
      await viem.assertions.revertWithCustomError(
        pool.write.bindLicenseMarket(["0x0000000000000000000000000000000000000000"]),
        pool,
        "ZeroLicenseMarket",
      );
      await pool.write.transferOwnership([other.account.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.bindLicenseMarket([market.address], { account: other.account }),
        pool,
        "OwnableUnauthorizedAccount",
        [other.account.address],
      );
      await pool.write.acceptOwnership({ account: other.account });
      await pool.write.bindLicenseMarket([market.address], { account: other.account });
      same(await pool.read.licenseMarket(), market.address);
    });

    it("refuses funding and receipts before a market is bound", async () => {
      const { pool, other } = await loadFixture(unboundFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.fundLicense([other.account.address, 1n, 0n], { account: other.account, value: 1n }),
        pool,
        "OnlyLicenseMarket",
        [other.account.address],
      );
      const session = new LeecherSession(other, other.account.address, 2n ** 40n, {
        chainId: 31337,
        pool: pool.address,
      });
      await viem.assertions.revertWithCustomError(
        pool.write.submitReceipts([other.account.address, [await session.receipt(other.account.address, 1n, 1n)]]),
        pool,
        "MarketNotBound",
      );
    });
  });

  describe("fundLicense", () => {
    it("turns a purchase's bounty fee into the recipient's allowance and its network fee into the epoch pool and the license's weight budget", async () => {
      const { pool, market, leecher, other, contentId } = await loadFixture(deployFixture);
      const [, networkFee, bountyFee, total] = await market.read.quote([contentId, 1n]);
      assert.deepEqual([networkFee, bountyFee], [NETWORK_FEE, ALLOWANCE]);
      // A gift: `other` pays, `leecher` is the licensee.
      const tx = market.write.buy([contentId, 1n, leecher.account.address, total], {
        account: other.account,
        value: total,
      });
      await viem.assertions.emitWithArgs(tx, pool, "AllowanceFunded", [
        getAddress(leecher.account.address),
        contentId,
        ALLOWANCE,
        ALLOWANCE,
      ]);
      await viem.assertions.emitWithArgs(tx, pool, "NetworkFeePooled", [
        getAddress(leecher.account.address),
        contentId,
        NETWORK_FEE,
        0n,
      ]);
      assert.equal(await pool.read.weightBudget([leecher.account.address, contentId]), NETWORK_FEE);
      assert.equal(await pool.read.openWeight(), NETWORK_FEE);
      assert.deepEqual(await pool.read.rollover(), [NETWORK_FEE, false, 0n]);
      const [remaining, bytesCredited, fundedAt] = await pool.read.allowance([leecher.account.address, contentId]);
      assert.deepEqual([remaining, bytesCredited, fundedAt], [ALLOWANCE, 0n, BigInt(await time.latest())]);
      assert.deepEqual(await pool.read.allowance([other.account.address, contentId]), [0n, 0n, 0n]);
    });

    it("adds later purchases to the allowance and restarts its expiry", async () => {
      const { pool, market, leecher, contentId } = await loadFixture(deployFixture);
      await buy(market, leecher, contentId);
      await time.increase(10n * DAY);
      const second = await buy(market, leecher, contentId);
      const [remaining, , fundedAt] = await pool.read.allowance([leecher.account.address, contentId]);
      assert.equal(remaining, ALLOWANCE + second.allowance);
      assert.equal(fundedAt, BigInt(await time.latest()));
    });

    it("only accepts the bound market", async () => {
      const { pool, other, contentId } = await loadFixture(deployFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.fundLicense([other.account.address, contentId, 0n], {
          account: other.account,
          value: parseEther("1"),
        }),
        pool,
        "OnlyLicenseMarket",
        [other.account.address],
      );
    });
  });

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
      await viem.assertions.revertWithCustomError(
        pool.write.submitReceipts([seeder.account.address, []]),
        pool,
        "EmptyBatch",
      );
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
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([s, [byStranger]]),
        pool,
        "InvalidReceiptSignature",
        [leecher.account.address, session.sessionKey.address],
      );
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
      const pool2 = await viem.deployContract("RebatePool", [
        owner.account.address,
        Number(EPOCH_DURATION),
        Number(ALLOWANCE_EXPIRY),
      ]);
      const market2 = await viem.deployContract("LicenseMarket", [
        owner.account.address,
        pool2.address,
        MAX_NETWORK_FEE_BPS,
        "",
        MIN_COMMITMENT_AGE,
      ]);
      await pool2.write.bindLicenseMarket([market2.address]);
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
      const { pool, market, publisher, leecher2, seeder, contentId, domain, expiry, session } =
        await loadFixture(licensedFixture);
      const s = seeder.account.address;
      const unlicensed = new LeecherSession(leecher2, leecher2.account.address, expiry, domain);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([s, [await unlicensed.receipt(s, contentId, 10n)]]),
        pool,
        "NoLicense",
        [leecher2.account.address, contentId],
      );
      // The leecher holds a license of `contentId`, not of another registered content.
      const otherContent = await registerContent(market, publisher, { size: SIZE, basePrice: BASE_PRICE });
      assert.equal(await market.read.hasLicense([session.leecher, contentId]), true);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([s, [await session.receipt(s, otherContent, 10n)]]),
        pool,
        "NoLicense",
        [session.leecher, otherContent],
      );
      // Nor of a content that does not exist.
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([s, [await session.receipt(s, 999n, 10n)]]),
        pool,
        "NoLicense",
        [session.leecher, 999n],
      );
    });

    it("follows a transferred license: the old holder is refused, the new one credits bytes from its own (empty) allowance", async () => {
      const { pool, market, publisher, leecher, leecher2, seeder, domain, expiry, publicClient } =
        await loadFixture(licensedFixture);
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
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([s, [await oldHolder.receipt(s, transferable, 10n)]]),
        pool,
        "NoLicense",
        [leecher.account.address, transferable],
      );
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
      const { pool, session, seeder, other, leecher2, market, contentId, domain, expiry } =
        await loadFixture(licensedFixture);
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
      assert.equal(await pool.read.balances([s]) - before, creditLicense(ALLOWANCE, 0n, SIZE, 7_000n).payout);
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
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.submitReceipts([s, [borrowed]]),
        pool,
        "InvalidDelegationSignature",
        [walletB.address, forA.sessionKey.address],
      );
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
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.sweep([leecher.account.address, contentId]),
        pool,
        "NothingToSweep",
        [leecher.account.address, contentId],
      );
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
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.sweep([leecher.account.address, contentId]),
        pool,
        "NotExpired",
        [leecher.account.address, contentId, fundedAt + ALLOWANCE_EXPIRY],
      );
      await time.setNextBlockTimestamp(fundedAt + ALLOWANCE_EXPIRY);
      await pool.write.sweep([leecher.account.address, contentId]);
      // Epoch 0 kept its weight of the first network fee; the rest of it, the second one and the sweep are carried.
      const weight0 = (NETWORK_FEE * 400_000n) / SIZE;
      assert.equal((await pool.read.rollover())[0], left + ALLOWANCE + 2n * NETWORK_FEE - weight0);
    });

    it("refuses to sweep an allowance that was never funded", async () => {
      const { pool, other, contentId } = await loadFixture(deployFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.sweep([other.account.address, contentId]),
        pool,
        "NothingToSweep",
        [other.account.address, contentId],
      );
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
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.claim([[0n]], { account: seeder.account }),
        pool,
        "EpochNotFinished",
        [0n, 0n],
      );
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
      await viem.assertions.revertWithCustomError(
        pool.write.settleEpochShares([0n, []], { account: other.account }),
        pool,
        "EmptyBatch",
      );
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
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.claim([[]], { account: seeder.account }),
        pool,
        "NothingToClaim",
        [s],
      );
    });

    it("refuses to claim an epoch twice, also within one call", async () => {
      const { pool, session, seeder, leecher2, market, contentId } = await loadFixture(licensedFixture);
      const s = seeder.account.address;
      await buy(market, leecher2, contentId);
      await time.increase(ALLOWANCE_EXPIRY);
      const epoch = await pool.read.currentEpoch();
      await pool.write.sweep([leecher2.account.address, contentId]);
      await pool.write.submitReceipts([s, [await session.receipt(s, contentId, SIZE)]]);
      await time.increase(EPOCH_DURATION);
      // Listing the epoch twice pays it once.
      await viem.assertions.emitWithArgs(
        pool.write.claim([[epoch, epoch]], { account: seeder.account }),
        pool,
        "Claimed",
        [getAddress(s), ALLOWANCE, NETWORK_FEE],
      );
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
      await viem.assertions.revertWithCustomErrorWithArgs(
        pool.write.claim([[5n]], { account: seeder.account }),
        pool,
        "EpochNotFinished",
        [5n, 5n],
      );
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
      const { pool, session, leecher2, market, contentId, publicClient } = await loadFixture(licensedFixture);
      const claimer = await viem.deployContract("ReentrantClaimer", [pool.address]);
      const s = claimer.address;
      await buy(market, leecher2, contentId);
      await time.increase(ALLOWANCE_EXPIRY);
      const epoch = await pool.read.currentEpoch();
      await pool.write.sweep([leecher2.account.address, contentId]);
      await pool.write.submitReceipts([s, [await session.receipt(s, contentId, SIZE)]]);
      await time.increase(EPOCH_DURATION);
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

/** Any address other than the pool's: the chain id's low bits padded (only used as data to hash). */
function chainIdAddress(chainId: number): Address {
  return `0x${chainId.toString(16).padStart(40, "0")}` as Address;
}
