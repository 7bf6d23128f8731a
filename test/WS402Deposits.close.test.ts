/** WS402Deposits: requestClose, reclaim, views, gas. Set-up in `helpers/ws402Fixtures.ts`. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, hashTypedData, zeroAddress } from "viem";
import { usageTypes, ws402Domain } from "@web3torrent/sdk/eip712";
import {
  viem,
  loadFixture,
  time,
  chainId,
  MAX_SECONDS,
  DEPOSIT,
  GRACE,
  METADATA,
  RESOURCE_ID,
  SESSION_ID,
  NONE,
  OPEN,
  SETTLED,
  RECLAIMED,
  ReceiveMode,
  OPEN_GAS_TARGET,
  SETTLE_GAS_TARGET,
  sessionKey,
  settleSigned,
  gasUsed,
  blockTimestampOf,
  deployFixture,
  resourceFixture,
  sessionFixture,
  closeRequestedFixture,
  contractUserFixture,
  assertSessionStatus,
  assertNotOpen,
} from "./helpers/ws402Fixtures.ts";

describe("WS402Deposits", () => {
  describe("requestClose", () => {
    it("starts the grace period in force", async () => {
      const { deposits, user } = await loadFixture(sessionFixture);
      const hash = await deposits.write.requestClose([SESSION_ID], { account: user.account });
      const deadline = (await blockTimestampOf(hash)) + BigInt(GRACE);
      await viem.assertions.emitWithArgs(hash, deposits, "CloseRequested", [SESSION_ID, deadline]);
      const session = await deposits.read.session([SESSION_ID]);
      assert.equal(session.closeDeadline, Number(deadline));
      assert.equal(session.status, OPEN);
    });

    it("is for the session's user only", async () => {
      const { deposits, provider, stranger } = await loadFixture(sessionFixture);
      for (const caller of [provider, stranger]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          deposits.write.requestClose([SESSION_ID], { account: caller.account }),
          deposits,
          "NotSessionUser",
          [SESSION_ID, getAddress(caller.account.address)],
        );
      }
    });

    it("can be requested once", async () => {
      const { deposits, user, deadline } = await loadFixture(closeRequestedFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.requestClose([SESSION_ID], { account: user.account }),
        deposits,
        "CloseAlreadyRequested",
        [SESSION_ID, deadline],
      );
    });

    it("refuses a session that is not open", async () => {
      const { deposits, provider, user } = await loadFixture(sessionFixture);
      await assertNotOpen(deposits.write.requestClose([2n], { account: user.account }), deposits, 2n, NONE);
      await deposits.write.settle([SESSION_ID, 0n, "0x"], { account: provider.account });
      await assertNotOpen(deposits.write.requestClose([SESSION_ID], { account: user.account }), deposits, SESSION_ID, SETTLED);
    });
  });

  describe("reclaim", () => {
    it("returns the whole deposit once the grace period is over", async () => {
      const { deposits, provider, payout, user, deadline } = await loadFixture(closeRequestedFixture);
      await time.setNextBlockTimestamp(deadline);
      const hash = deposits.write.reclaim([SESSION_ID], { account: user.account });
      await viem.assertions.balancesHaveChanged(hash, [
        { address: user.account.address, amount: DEPOSIT },
        { address: payout.account.address, amount: 0n },
        { address: deposits.address, amount: -DEPOSIT },
      ]);
      await viem.assertions.emitWithArgs(hash, deposits, "SessionReclaimed", [SESSION_ID, DEPOSIT]);
      assert.equal(await blockTimestampOf(await hash), deadline);
      await assertSessionStatus(deposits, SESSION_ID, RECLAIMED);

      // Closed for good: the provider can no longer settle, the user cannot reclaim twice.
      await assertNotOpen(settleSigned({ deposits, provider }, 600n), deposits, SESSION_ID, RECLAIMED);
      await assertNotOpen(deposits.write.reclaim([SESSION_ID], { account: user.account }), deposits, SESSION_ID, RECLAIMED);
    });

    it("refuses before the deadline", async () => {
      const { deposits, user, deadline } = await loadFixture(closeRequestedFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.reclaim([SESSION_ID], { account: user.account }),
        deposits,
        "GracePeriodNotOver",
        [SESSION_ID, deadline],
      );
      await time.setNextBlockTimestamp(deadline - 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.reclaim([SESSION_ID], { account: user.account, gas: 100_000n }),
        deposits,
        "GracePeriodNotOver",
        [SESSION_ID, deadline],
      );
    });

    it("refuses without a close request", async () => {
      const { deposits, user } = await loadFixture(sessionFixture);
      await time.increase(365 * 24 * 3600);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.reclaim([SESSION_ID], { account: user.account }),
        deposits,
        "CloseNotRequested",
        [SESSION_ID],
      );
    });

    it("is for the session's user only", async () => {
      const { deposits, provider, stranger, deadline } = await loadFixture(closeRequestedFixture);
      await time.increaseTo(deadline);
      for (const caller of [provider, stranger]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          deposits.write.reclaim([SESSION_ID], { account: caller.account }),
          deposits,
          "NotSessionUser",
          [SESSION_ID, getAddress(caller.account.address)],
        );
      }
    });

    it("defers the refund of a user that reverts on receive", async () => {
      const { deposits, account } = await loadFixture(contractUserFixture);
      await account.write.requestClose([SESSION_ID]);
      await time.increase(GRACE);
      await account.write.setReceiveMode([ReceiveMode.Revert]);
      const hash = account.write.reclaim([SESSION_ID]);
      await viem.assertions.emitWithArgs(hash, deposits, "PaymentDeferred", [account.address, DEPOSIT]);
      assert.equal(await deposits.read.owed([account.address]), DEPOSIT);
      await assertSessionStatus(deposits, SESSION_ID, RECLAIMED);
    });
  });

  describe("views", () => {
    it("session and resource return zeros for unknown ids; depositFor refuses them", async () => {
      const { deposits } = await loadFixture(deployFixture);
      const session = await deposits.read.session([7n]);
      assert.equal(session.status, NONE);
      assert.equal(session.user, zeroAddress);
      assert.equal((await deposits.read.resource([7n])).provider, zeroAddress);
      await viem.assertions.revertWithCustomErrorWithArgs(deposits.read.depositFor([7n, MAX_SECONDS]), deposits, "UnknownResource", [7n]);
    });

    it("depositFor is price × seconds, up to the largest price and duration", async () => {
      const { deposits, provider, payout } = await loadFixture(deployFixture);
      const maxPrice = 2n ** 128n - 1n;
      await deposits.write.registerResource([maxPrice, payout.account.address, METADATA], {
        account: provider.account,
      });
      assert.equal(await deposits.read.depositFor([1n, 2 ** 32 - 1]), maxPrice * (2n ** 32n - 1n));
    });

    it("hashUsage is the EIP-712 digest of the sdk's Usage type", async () => {
      const { deposits } = await loadFixture(deployFixture);
      const expected = hashTypedData({
        domain: ws402Domain(chainId, deposits.address),
        types: usageTypes,
        primaryType: "Usage",
        message: { sessionId: 3n, elapsedSeconds: 77n },
      });
      assert.equal(await deposits.read.hashUsage([3n, 77n]), expected);
    });
  });

  describe("gas", () => {
    it("open and settle stay within their targets", async (t) => {
      const { deposits, provider, user } = await loadFixture(resourceFixture);
      // The contract's first session pays for the counter's first write: measure it and a later one.
      const firstOpen = await gasUsed(
        deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], { account: user.account, value: DEPOSIT }),
      );
      const laterOpen = await gasUsed(
        deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], { account: user.account, value: DEPOSIT }),
      );
      const settle = await gasUsed(settleSigned({ deposits, provider }, 120n));
      t.diagnostic(`gas: open (first session) ${firstOpen}, open ${laterOpen}, settle (two payments) ${settle}`);
      assert.ok(firstOpen <= OPEN_GAS_TARGET, `first open used ${firstOpen}`);
      assert.ok(laterOpen <= OPEN_GAS_TARGET, `open used ${laterOpen}`);
      assert.ok(settle <= SETTLE_GAS_TARGET, `settle used ${settle}`);
    });
  });
});
