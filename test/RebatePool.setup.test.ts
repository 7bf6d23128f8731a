/** RebatePool: deployment, bindLicenseMarket, fundLicense. Set-up in `helpers/rebatePoolFixtures.ts`. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getAddress, hashTypedData, keccak256, toHex, parseEther } from "viem";
import { delegationTypes, rebatePoolDomain, receiptTypes } from "@web3torrent/sdk/eip712";
import { MIN_COMMITMENT_AGE } from "./helpers/registration.ts";
import { ALLOWANCE_EXPIRY, DAY, EPOCH_DURATION, LeecherSession, buy } from "./helpers/rebate.ts";
import { viem, time, loadFixture, same, ALLOWANCE, NETWORK_FEE, deployFixture, chainIdAddress } from "./helpers/rebatePoolFixtures.ts";

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
      assert.equal(await pool.read.DELEGATION_TYPEHASH(), keccak256(toHex(typeString("Delegation", delegationTypes.Delegation))));
      const delegation = { wallet: receipt.leecher, sessionKey: receipt.seeder, expiry: 1_900_000_000n };
      assert.equal(
        await pool.read.hashDelegation([delegation.wallet, delegation.sessionKey, delegation.expiry]),
        hashTypedData({ domain: expected, types: delegationTypes, primaryType: "Delegation", message: delegation }),
      );
    });

    it("rejects a zero epoch duration, a zero allowance expiry and a zero owner", async () => {
      const { pool, owner } = await loadFixture(deployFixture);
      const me = owner.account.address;
      await viem.assertions.revertWithCustomError(viem.deployContract("RebatePool", [me, 0, 1]), pool, "ZeroEpochDuration");
      await viem.assertions.revertWithCustomError(viem.deployContract("RebatePool", [me, 1, 0]), pool, "ZeroAllowanceExpiry");
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
      await viem.assertions.emitWithArgs(pool.write.bindLicenseMarket([market.address]), pool, "LicenseMarketBound", [market.address]);
      same(await pool.read.licenseMarket(), market.address);
      await viem.assertions.revertWithCustomErrorWithArgs(pool.write.bindLicenseMarket([market.address]), pool, "MarketAlreadyBound", [
        market.address,
      ]);
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
      await viem.assertions.emitWithArgs(tx, pool, "NetworkFeePooled", [getAddress(leecher.account.address), contentId, NETWORK_FEE, 0n]);
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
});
