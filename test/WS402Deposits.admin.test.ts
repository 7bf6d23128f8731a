/**
 * WS402Deposits: deployment, ownership (Ownable2Step), setGracePeriod, pause and unpause. Set-up in
 * `helpers/ws402Fixtures.ts`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, keccak256, toHex, zeroAddress } from "viem";
import { usageTypes, WS402_DOMAIN_NAME, DOMAIN_VERSION } from "@web3torrent/sdk/eip712";
import {
  viem,
  loadFixture,
  time,
  chainId,
  PRICE,
  MAX_SECONDS,
  DEPOSIT,
  GRACE,
  METADATA,
  RESOURCE_ID,
  SESSION_ID,
  ReceiveMode,
  sessionKey,
  settleSigned,
  blockTimestampOf,
  deployFixture,
  sessionFixture,
  closeRequestedFixture,
  contractUserFixture,
} from "./helpers/ws402Fixtures.ts";

describe("WS402Deposits", () => {
  describe("deployment", () => {
    it("sets the owner, the grace period and its bounds, and announces the grace period", async () => {
      const [owner] = await viem.getWalletClients();
      const { contract, deploymentTransaction } = await viem.sendDeploymentTransaction("WS402Deposits", [owner.account.address, GRACE]);
      await viem.assertions.emitWithArgs(deploymentTransaction.hash, contract, "GracePeriodUpdated", [0, GRACE]);
      assert.equal(await contract.read.owner(), getAddress(owner.account.address));
      assert.equal(await contract.read.gracePeriod(), GRACE);
      assert.equal(await contract.read.MIN_GRACE_PERIOD(), 30);
      assert.equal(await contract.read.MAX_GRACE_PERIOD(), 86_400);
      assert.equal(await contract.read.paused(), false);
      assert.equal(await contract.read.resourceCount(), 0n);
      assert.equal(await contract.read.sessionCount(), 0n);
    });

    it("uses the sdk's EIP-712 domain and Usage type", async () => {
      const { deposits } = await loadFixture(deployFixture);
      const [, name, version, domainChainId, verifyingContract] = await deposits.read.eip712Domain();
      assert.equal(name, WS402_DOMAIN_NAME);
      assert.equal(version, DOMAIN_VERSION);
      assert.equal(domainChainId, BigInt(chainId));
      assert.equal(verifyingContract, getAddress(deposits.address));
      const typeString = `Usage(${usageTypes.Usage.map((field) => `${field.type} ${field.name}`).join(",")})`;
      assert.equal(await deposits.read.USAGE_TYPEHASH(), keccak256(toHex(typeString)));
    });

    it("rejects a grace period outside [30 s, 1 day]", async () => {
      const { deposits, owner } = await loadFixture(deployFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        viem.deployContract("WS402Deposits", [owner.account.address, 29]),
        deposits,
        "GracePeriodOutOfBounds",
        [29, 30, 86_400],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        viem.deployContract("WS402Deposits", [owner.account.address, 86_401]),
        deposits,
        "GracePeriodOutOfBounds",
        [86_401, 30, 86_400],
      );
    });

    it("rejects the zero address as owner", async () => {
      const { deposits } = await loadFixture(deployFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        viem.deployContract("WS402Deposits", [zeroAddress, GRACE]),
        deposits,
        "OwnableInvalidOwner",
        [zeroAddress],
      );
    });
  });

  describe("ownership (Ownable2Step)", () => {
    it("hands over only when the new owner accepts", async () => {
      const { deposits, owner, stranger } = await loadFixture(deployFixture);
      await deposits.write.transferOwnership([stranger.account.address], { account: owner.account });
      assert.equal(await deposits.read.owner(), getAddress(owner.account.address));
      assert.equal(await deposits.read.pendingOwner(), getAddress(stranger.account.address));
      await viem.assertions.emitWithArgs(deposits.write.acceptOwnership({ account: stranger.account }), deposits, "OwnershipTransferred", [
        getAddress(owner.account.address),
        getAddress(stranger.account.address),
      ]);
      assert.equal(await deposits.read.owner(), getAddress(stranger.account.address));
    });
  });

  describe("setGracePeriod", () => {
    it("lets the owner set any period within the bounds", async () => {
      const { deposits, owner } = await loadFixture(deployFixture);
      await viem.assertions.emitWithArgs(deposits.write.setGracePeriod([30], { account: owner.account }), deposits, "GracePeriodUpdated", [
        GRACE,
        30,
      ]);
      assert.equal(await deposits.read.gracePeriod(), 30);
      await viem.assertions.emitWithArgs(
        deposits.write.setGracePeriod([86_400], { account: owner.account }),
        deposits,
        "GracePeriodUpdated",
        [30, 86_400],
      );
      assert.equal(await deposits.read.gracePeriod(), 86_400);
    });

    it("rejects a period outside the bounds", async () => {
      const { deposits, owner } = await loadFixture(deployFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.setGracePeriod([29], { account: owner.account }),
        deposits,
        "GracePeriodOutOfBounds",
        [29, 30, 86_400],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.setGracePeriod([86_401], { account: owner.account }),
        deposits,
        "GracePeriodOutOfBounds",
        [86_401, 30, 86_400],
      );
    });

    it("is owner-only", async () => {
      const { deposits, stranger } = await loadFixture(deployFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.setGracePeriod([120], { account: stranger.account }),
        deposits,
        "OwnableUnauthorizedAccount",
        [getAddress(stranger.account.address)],
      );
    });

    it("never shortens a grace period already running, and applies to later close requests", async () => {
      const { deposits, owner, user, deadline } = await loadFixture(closeRequestedFixture);
      await deposits.write.setGracePeriod([30], { account: owner.account });
      assert.equal((await deposits.read.session([SESSION_ID])).closeDeadline, Number(deadline));

      await time.increaseTo(deadline - 20n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.reclaim([SESSION_ID], { account: user.account }),
        deposits,
        "GracePeriodNotOver",
        [SESSION_ID, deadline],
      );

      await deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], { account: user.account, value: DEPOSIT });
      const hash = await deposits.write.requestClose([2n], { account: user.account });
      const secondDeadline = (await blockTimestampOf(hash)) + 30n;
      await viem.assertions.emitWithArgs(hash, deposits, "CloseRequested", [2n, secondDeadline]);
    });
  });

  describe("pause and unpause", () => {
    it("stop new registrations and new sessions only", async () => {
      const { deposits, owner, provider, payout, user } = await loadFixture(sessionFixture);
      await viem.assertions.emitWithArgs(deposits.write.pause({ account: owner.account }), deposits, "Paused", [
        getAddress(owner.account.address),
      ]);
      assert.equal(await deposits.read.paused(), true);

      await viem.assertions.revertWithCustomError(
        deposits.write.registerResource([PRICE, payout.account.address, METADATA], { account: provider.account }),
        deposits,
        "EnforcedPause",
      );
      await viem.assertions.revertWithCustomError(
        deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], { account: user.account, value: DEPOSIT }),
        deposits,
        "EnforcedPause",
      );

      // Everything that returns money or keeps existing sessions going still works.
      await deposits.write.updateResource([RESOURCE_ID, PRICE * 2n, payout.account.address, METADATA], {
        account: provider.account,
      });
      await deposits.write.requestClose([SESSION_ID], { account: user.account });
      await viem.assertions.emitWithArgs(settleSigned({ deposits, provider }, 42n), deposits, "SessionSettled", [
        SESSION_ID,
        42n,
        42n * PRICE,
        DEPOSIT - 42n * PRICE,
      ]);

      await viem.assertions.emitWithArgs(deposits.write.unpause({ account: owner.account }), deposits, "Unpaused", [
        getAddress(owner.account.address),
      ]);
      await deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], {
        account: user.account,
        value: PRICE * 2n * BigInt(MAX_SECONDS),
      });
      assert.equal(await deposits.read.sessionCount(), 2n);
    });

    it("never block a reclaim or a withdrawal", async () => {
      const { deposits, owner, account } = await loadFixture(contractUserFixture);
      await account.write.requestClose([SESSION_ID]);
      const deadline = BigInt((await deposits.read.session([SESSION_ID])).closeDeadline);
      await deposits.write.pause({ account: owner.account });
      await time.increaseTo(deadline);
      await account.write.setReceiveMode([ReceiveMode.Revert]); // the refund is deferred
      await account.write.reclaim([SESSION_ID]);
      assert.equal(await deposits.read.owed([account.address]), DEPOSIT);
      await account.write.setReceiveMode([ReceiveMode.Accept]);
      await viem.assertions.balancesHaveChanged(account.write.withdraw(), [{ address: account.address, amount: DEPOSIT }]);
    });

    it("are owner-only", async () => {
      const { deposits, owner, stranger } = await loadFixture(deployFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.pause({ account: stranger.account }),
        deposits,
        "OwnableUnauthorizedAccount",
        [getAddress(stranger.account.address)],
      );
      await deposits.write.pause({ account: owner.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.unpause({ account: stranger.account }),
        deposits,
        "OwnableUnauthorizedAccount",
        [getAddress(stranger.account.address)],
      );
    });
  });
});
