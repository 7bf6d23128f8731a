/** WS402Deposits: settle, payments that cannot be pushed, reentrancy. Set-up in `helpers/ws402Fixtures.ts`. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeErrorResult, getAddress, keccak256, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { delegateKey } from "./helpers/eip7702.ts";
import {
  viem,
  loadFixture,
  time,
  publicClient,
  chainId,
  PRICE,
  MAX_SECONDS,
  DEPOSIT,
  GRACE,
  METADATA,
  RESOURCE_ID,
  SESSION_ID,
  NONE,
  SETTLED,
  ReceiveMode,
  Attack,
  EVM_CALL_STIPEND,
  sessionKey,
  wrongKey,
  signUsage,
  settleSigned,
  gasUsed,
  deployFixture,
  resourceFixture,
  sessionFixture,
  closeRequestedFixture,
  contractUserFixture,
  reentrantProviderFixture,
  assertSessionStatus,
  assertNotOpen,
} from "./helpers/ws402Fixtures.ts";

type Session = Awaited<ReturnType<typeof sessionFixture>>;
/** A receipt as settle takes it; the session is the fixture's unless said. */
type Receipt = { sessionId?: bigint; seconds: bigint; signature: Hex };

describe("WS402Deposits", () => {
  describe("settle", () => {
    it("quick preview: pays 30 s and refunds the other 570 s", async () => {
      const { deposits, provider, payout, user } = await loadFixture(sessionFixture);
      const paid = 30n * PRICE;
      const refunded = 570n * PRICE;
      const hash = settleSigned({ deposits, provider }, 30n);
      await viem.assertions.balancesHaveChanged(hash, [
        { address: payout.account.address, amount: paid },
        { address: user.account.address, amount: refunded },
        { address: deposits.address, amount: -DEPOSIT },
      ]);
      await viem.assertions.emitWithArgs(hash, deposits, "SessionSettled", [SESSION_ID, 30n, paid, refunded]);
      assert.equal(paid + refunded, DEPOSIT);
      await assertSessionStatus(deposits, SESSION_ID, SETTLED);
    });

    it("full use: pays the whole deposit and refunds nothing", async () => {
      const { deposits, provider, payout, user } = await loadFixture(sessionFixture);
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, BigInt(MAX_SECONDS));
      const hash = deposits.write.settle([SESSION_ID, BigInt(MAX_SECONDS), signature], { account: provider.account });
      await viem.assertions.balancesHaveChanged(hash, [
        { address: payout.account.address, amount: DEPOSIT },
        { address: user.account.address, amount: 0n },
      ]);
      await viem.assertions.emitWithArgs(hash, deposits, "SessionSettled", [SESSION_ID, BigInt(MAX_SECONDS), DEPOSIT, 0n]);
    });

    it("charges a receipt beyond maxSeconds as maxSeconds", async () => {
      const { deposits, provider, payout } = await loadFixture(sessionFixture);
      const hash = settleSigned({ deposits, provider }, 10_000n);
      await viem.assertions.balancesHaveChanged(hash, [{ address: payout.account.address, amount: DEPOSIT }]);
      await viem.assertions.emitWithArgs(hash, deposits, "SessionSettled", [SESSION_ID, BigInt(MAX_SECONDS), DEPOSIT, 0n]);
    });

    it("refunds everything for zero seconds, without a signature", async () => {
      const { deposits, provider, payout, user } = await loadFixture(sessionFixture);
      const hash = deposits.write.settle([SESSION_ID, 0n, "0x"], { account: provider.account });
      await viem.assertions.balancesHaveChanged(hash, [
        { address: payout.account.address, amount: 0n },
        { address: user.account.address, amount: DEPOSIT },
      ]);
      await viem.assertions.emitWithArgs(hash, deposits, "SessionSettled", [SESSION_ID, 0n, 0n, DEPOSIT]);
    });

    it("pays each session once: a second settle is refused", async () => {
      const { deposits, provider } = await loadFixture(sessionFixture);
      await settleSigned({ deposits, provider }, 30n);
      const later = await signUsage(sessionKey, deposits.address, SESSION_ID, 300n);
      await assertNotOpen(deposits.write.settle([SESSION_ID, 300n, later], { account: provider.account }), deposits, SESSION_ID, SETTLED);
      assert.equal(await publicClient.getBalance({ address: deposits.address }), 0n);
    });

    it("refuses a session that was never opened", async () => {
      const { deposits, provider } = await loadFixture(sessionFixture);
      await assertNotOpen(deposits.write.settle([2n, 0n, "0x"], { account: provider.account }), deposits, 2n, NONE);
    });

    it("is for the resource's provider only (not the user, nor the payout address)", async () => {
      const { deposits, payout, user, stranger } = await loadFixture(sessionFixture);
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 1n);
      for (const caller of [user, payout, stranger]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          deposits.write.settle([SESSION_ID, 1n, signature], { account: caller.account }),
          deposits,
          "NotResourceProvider",
          [RESOURCE_ID, getAddress(caller.account.address)],
        );
      }
    });

    /** Receipts settle must refuse with InvalidUsageSignature, by how they were forged. */
    const forgeries: { name: string; receipts: (system: Session) => Promise<Receipt[]> }[] = [
      {
        name: "refuses a receipt signed by the wrong key, or for other seconds than signed",
        receipts: async ({ deposits }) => [
          { seconds: 30n, signature: await signUsage(wrongKey, deposits.address, SESSION_ID, 30n) },
          { seconds: 600n, signature: await signUsage(sessionKey, deposits.address, SESSION_ID, 30n) },
          { seconds: 30n, signature: "0x1234" },
        ],
      },
      {
        name: "refuses a receipt replayed from another session of the same key",
        receipts: async ({ deposits, user }) => {
          await deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], { account: user.account, value: DEPOSIT });
          return [{ sessionId: 2n, seconds: 600n, signature: await signUsage(sessionKey, deposits.address, SESSION_ID, 600n) }];
        },
      },
      {
        name: "refuses a receipt signed for another deployment",
        receipts: async ({ owner }) => {
          const otherDeployment = await viem.deployContract("WS402Deposits", [owner.account.address, GRACE]);
          return [{ seconds: 600n, signature: await signUsage(sessionKey, otherDeployment.address, SESSION_ID, 600n) }];
        },
      },
      {
        name: "refuses a receipt signed for another chain",
        receipts: async ({ deposits }) => [
          { seconds: 600n, signature: await signUsage(sessionKey, deposits.address, SESSION_ID, 600n, chainId + 1) },
        ],
      },
    ];
    for (const forgery of forgeries) {
      it(forgery.name, async () => {
        const system = await loadFixture(sessionFixture);
        const { deposits, provider } = system;
        for (const { sessionId = SESSION_ID, seconds, signature } of await forgery.receipts(system)) {
          await viem.assertions.revertWithCustomErrorWithArgs(
            deposits.write.settle([sessionId, seconds, signature], { account: provider.account }),
            deposits,
            "InvalidUsageSignature",
            [sessionId, sessionKey.address],
          );
        }
      });
    }

    it("pays a receipt signed before the session key delegated its address (EIP-7702) to code that disowns it", async () => {
      // Attack (b): after being served, the plain key signs one EIP-7702 authorization; its address now answers
      // ERC-1271 with "invalid". The receipt is checked by ECDSA only, so the provider is still paid.
      const { deposits, provider, payout, user } = await loadFixture(resourceFixture);
      const key = privateKeyToAccount(keccak256(toHex("w3t test: ws402 key that gains code")));
      await deposits.write.open([RESOURCE_ID, MAX_SECONDS, key.address], { account: user.account, value: DEPOSIT });
      const served = await signUsage(key, deposits.address, SESSION_ID, 600n);

      const disowning = await viem.deployContract("TestRevocableSessionKey", [key.address]);
      await delegateKey(viem, key, disowning.address, user);
      // The key's address now runs the delegate's code against its own storage, where the key is switched off.
      const keyAsContract = await viem.getContractAt("TestRevocableSessionKey", key.address);
      assert.equal(await keyAsContract.read.isValidSignature([await deposits.read.hashUsage([SESSION_ID, 600n]), served]), "0xffffffff");
      await deposits.write.requestClose([SESSION_ID], { account: user.account });

      await viem.assertions.balancesHaveChanged(deposits.write.settle([SESSION_ID, 600n, served], { account: provider.account }), [
        { address: payout.account.address, amount: DEPOSIT },
        { address: user.account.address, amount: 0n },
      ]);
      await time.increase(GRACE);
      await assertNotOpen(deposits.write.reclaim([SESSION_ID], { account: user.account }), deposits, SESSION_ID, SETTLED);
    });

    it("is allowed during the grace period after a close request", async () => {
      const { deposits, provider, payout, deadline } = await loadFixture(closeRequestedFixture);
      await time.increaseTo(deadline - 10n);
      await viem.assertions.balancesHaveChanged(settleSigned({ deposits, provider }, 200n), [
        { address: payout.account.address, amount: 200n * PRICE },
      ]);
    });

    it("is still allowed after the deadline until the user reclaims; the first to land wins", async () => {
      const { deposits, provider, user, deadline } = await loadFixture(closeRequestedFixture);
      await time.increaseTo(deadline + 100n);
      await settleSigned({ deposits, provider }, 200n);
      await assertNotOpen(deposits.write.reclaim([SESSION_ID], { account: user.account }), deposits, SESSION_ID, SETTLED);
    });
  });

  describe("payments that cannot be pushed", () => {
    it("a user that reverts on receive gets a pull balance, and the provider is paid", async () => {
      const { deposits, provider, payout, account } = await loadFixture(contractUserFixture);
      await account.write.setReceiveMode([ReceiveMode.Revert]);
      const refund = 570n * PRICE;
      const hash = settleSigned({ deposits, provider }, 30n);
      await viem.assertions.balancesHaveChanged(hash, [
        { address: payout.account.address, amount: 30n * PRICE },
        { address: account.address, amount: 0n },
        { address: deposits.address, amount: -30n * PRICE },
      ]);
      await viem.assertions.emitWithArgs(hash, deposits, "PaymentDeferred", [account.address, refund]);
      assert.equal(await deposits.read.owed([account.address]), refund);
      assert.equal(await deposits.read.totalOwed(), refund);

      // Still refusing ETH: the withdrawal fails and the balance stays.
      await viem.assertions.revertWithCustomErrorWithArgs(account.write.withdraw(), deposits, "WithdrawalFailed", [
        account.address,
        refund,
      ]);

      await account.write.setReceiveMode([ReceiveMode.Accept]);
      const withdrawal = account.write.withdraw();
      await viem.assertions.balancesHaveChanged(withdrawal, [
        { address: account.address, amount: refund },
        { address: deposits.address, amount: -refund },
      ]);
      await viem.assertions.emitWithArgs(withdrawal, deposits, "Withdrawn", [account.address, refund]);
      assert.equal(await deposits.read.owed([account.address]), 0n);
      assert.equal(await deposits.read.totalOwed(), 0n);
      await viem.assertions.revertWithCustomErrorWithArgs(account.write.withdraw(), deposits, "NothingToWithdraw", [account.address]);
    });

    it("a user that burns all gas on receive costs the provider at most the stipend", async () => {
      // Both runs start from the same snapshot and differ only in how the user's contract receives the refund.
      async function settleGasWith(mode: number): Promise<bigint> {
        const { deposits, provider, payout, account } = await loadFixture(contractUserFixture);
        await account.write.setReceiveMode([mode]);
        const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 30n);
        // Were all gas forwarded, the burner would eat 63/64 of this limit and the settlement would run out of gas.
        const hash = deposits.write.settle([SESSION_ID, 30n, signature], { account: provider.account, gas: 300_000n });
        await viem.assertions.balancesHaveChanged(hash, [{ address: payout.account.address, amount: 30n * PRICE }]);
        assert.equal(await deposits.read.owed([account.address]), 570n * PRICE);
        return gasUsed(hash);
      }
      const reverting = await settleGasWith(ReceiveMode.Revert);
      const burning = await settleGasWith(ReceiveMode.BurnGas);
      const { deposits } = await loadFixture(deployFixture);
      const stipend = (await deposits.read.PAYOUT_GAS_STIPEND()) + EVM_CALL_STIPEND;
      assert.ok(burning <= reverting + stipend, `burning ${burning} > reverting ${reverting} + stipend ${stipend}`);
    });

    it("a payout address that reverts gets a pull balance, and the user is refunded", async () => {
      const { deposits, provider, user } = await loadFixture(sessionFixture);
      const rejecting = await viem.deployContract("TestUserAccount", [deposits.address]);
      await rejecting.write.setReceiveMode([ReceiveMode.Revert]);
      await deposits.write.updateResource([RESOURCE_ID, PRICE, rejecting.address, METADATA], {
        account: provider.account,
      });
      const hash = settleSigned({ deposits, provider }, 30n);
      await viem.assertions.balancesHaveChanged(hash, [{ address: user.account.address, amount: 570n * PRICE }]);
      await viem.assertions.emitWithArgs(hash, deposits, "PaymentDeferred", [rejecting.address, 30n * PRICE]);
      assert.equal(await deposits.read.owed([rejecting.address]), 30n * PRICE);
    });

    it("withdraw refuses an account with nothing owed", async () => {
      const { deposits, user } = await loadFixture(sessionFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.withdraw({ account: user.account }),
        deposits,
        "NothingToWithdraw",
        [getAddress(user.account.address)],
      );
    });
  });

  describe("reentrancy", () => {
    it("a provider payout re-entering settle while paid gets nothing extra", async () => {
      const { deposits, user, attacker } = await loadFixture(reentrantProviderFixture);
      await attacker.write.arm([Attack.Settle, false]); // swallow the failed re-entry
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 100n);
      const hash = attacker.write.settle([SESSION_ID, 100n, signature]);
      await viem.assertions.balancesHaveChanged(hash, [
        { address: attacker.address, amount: 100n * PRICE },
        { address: user.account.address, amount: 500n * PRICE },
        { address: deposits.address, amount: -DEPOSIT },
      ]);
      await viem.assertions.emitWithArgs(hash, attacker, "ReentryAttempted", [
        Attack.Settle,
        false,
        encodeErrorResult({ abi: deposits.abi, errorName: "ReentrancyGuardReentrantCall" }),
      ]);
      await assertSessionStatus(deposits, SESSION_ID, SETTLED);
    });

    it("a deferred provider re-entering withdraw while withdrawing gets its balance once", async () => {
      const { deposits, user, attacker } = await loadFixture(reentrantProviderFixture);
      await attacker.write.arm([Attack.Settle, true]); // let the failed re-entry revert the payment
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 100n);
      const settlement = attacker.write.settle([SESSION_ID, 100n, signature]);
      await viem.assertions.balancesHaveChanged(settlement, [
        { address: attacker.address, amount: 0n },
        { address: user.account.address, amount: 500n * PRICE },
      ]);
      await viem.assertions.emitWithArgs(settlement, deposits, "PaymentDeferred", [attacker.address, 100n * PRICE]);

      await attacker.write.arm([Attack.Withdraw, false]); // swallow the failed re-entry
      const withdrawal = attacker.write.withdraw();
      await viem.assertions.balancesHaveChanged(withdrawal, [
        { address: attacker.address, amount: 100n * PRICE },
        { address: deposits.address, amount: -100n * PRICE },
      ]);
      await viem.assertions.emitWithArgs(withdrawal, attacker, "ReentryAttempted", [
        Attack.Withdraw,
        false,
        encodeErrorResult({ abi: deposits.abi, errorName: "ReentrancyGuardReentrantCall" }),
      ]);
      assert.equal(await deposits.read.owed([attacker.address]), 0n);
      assert.equal(await publicClient.getBalance({ address: deposits.address }), 0n);
    });
  });
});
