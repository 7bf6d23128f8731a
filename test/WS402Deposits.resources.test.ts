/** WS402Deposits: registerResource, updateResource, open. Set-up in `helpers/ws402Fixtures.ts`. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, keccak256, toHex, zeroAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { delegateKey } from "./helpers/eip7702.ts";
import {
  viem,
  loadFixture,
  publicClient,
  PRICE,
  MAX_SECONDS,
  DEPOSIT,
  METADATA,
  RESOURCE_ID,
  SESSION_ID,
  OPEN,
  sessionKey,
  settleSigned,
  blockTimestampOf,
  deployFixture,
  resourceFixture,
  sessionFixture,
} from "./helpers/ws402Fixtures.ts";

describe("WS402Deposits", () => {
  describe("registerResource", () => {
    it("records the caller as provider, with ids from 1", async () => {
      const { deposits, provider, payout, stranger } = await loadFixture(deployFixture);
      await viem.assertions.emitWithArgs(
        deposits.write.registerResource([PRICE, payout.account.address, METADATA], { account: provider.account }),
        deposits,
        "ResourceRegistered",
        [1n, getAddress(provider.account.address), getAddress(payout.account.address), PRICE, METADATA],
      );
      await viem.assertions.emitWithArgs(
        deposits.write.registerResource([1n, stranger.account.address, "ipfs://stream"], {
          account: stranger.account,
        }),
        deposits,
        "ResourceRegistered",
        [2n, getAddress(stranger.account.address), getAddress(stranger.account.address), 1n, "ipfs://stream"],
      );
      assert.equal(await deposits.read.resourceCount(), 2n);
      assert.deepEqual(await deposits.read.resource([1n]), {
        provider: getAddress(provider.account.address),
        payout: getAddress(payout.account.address),
        pricePerSecond: PRICE,
        metadataURI: METADATA,
      });
    });

    it("rejects a zero price and a zero payout address", async () => {
      const { deposits, provider, payout } = await loadFixture(deployFixture);
      await viem.assertions.revertWithCustomError(
        deposits.write.registerResource([0n, payout.account.address, METADATA], { account: provider.account }),
        deposits,
        "ZeroPricePerSecond",
      );
      await viem.assertions.revertWithCustomError(
        deposits.write.registerResource([PRICE, zeroAddress, METADATA], { account: provider.account }),
        deposits,
        "ZeroPayoutAddress",
      );
    });
  });

  describe("updateResource", () => {
    it("lets the provider change terms; open sessions keep their price but pay the new payout", async () => {
      const { deposits, provider, payout, user, stranger } = await loadFixture(sessionFixture);
      const newPrice = PRICE * 3n;
      await viem.assertions.emitWithArgs(
        deposits.write.updateResource([RESOURCE_ID, newPrice, stranger.account.address, "ipfs://v2"], {
          account: provider.account,
        }),
        deposits,
        "ResourceUpdated",
        [RESOURCE_ID, getAddress(provider.account.address), getAddress(stranger.account.address), newPrice, "ipfs://v2"],
      );
      assert.deepEqual(await deposits.read.resource([RESOURCE_ID]), {
        provider: getAddress(provider.account.address),
        payout: getAddress(stranger.account.address),
        pricePerSecond: newPrice,
        metadataURI: "ipfs://v2",
      });
      assert.equal(await deposits.read.depositFor([RESOURCE_ID, MAX_SECONDS]), newPrice * BigInt(MAX_SECONDS));

      // Session 1 was opened at the old price: it still settles at the old price, to the new payout address.
      await viem.assertions.balancesHaveChanged(settleSigned({ deposits, provider }, 100n), [
        { address: stranger.account.address, amount: 100n * PRICE },
        { address: payout.account.address, amount: 0n },
        { address: user.account.address, amount: DEPOSIT - 100n * PRICE },
      ]);

      // New sessions pay the new price.
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], { account: user.account, value: DEPOSIT }),
        deposits,
        "IncorrectDeposit",
        [newPrice * BigInt(MAX_SECONDS), DEPOSIT],
      );
    });

    it("is for the resource's provider only", async () => {
      const { deposits, payout, stranger } = await loadFixture(resourceFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.updateResource([RESOURCE_ID, PRICE, stranger.account.address, METADATA], {
          account: stranger.account,
        }),
        deposits,
        "NotResourceProvider",
        [RESOURCE_ID, getAddress(stranger.account.address)],
      );
      assert.equal((await deposits.read.resource([RESOURCE_ID])).payout, getAddress(payout.account.address));
    });

    it("rejects an unknown resource, a zero price and a zero payout address", async () => {
      const { deposits, provider, payout } = await loadFixture(resourceFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.updateResource([2n, PRICE, payout.account.address, METADATA], { account: provider.account }),
        deposits,
        "UnknownResource",
        [2n],
      );
      await viem.assertions.revertWithCustomError(
        deposits.write.updateResource([RESOURCE_ID, 0n, payout.account.address, METADATA], {
          account: provider.account,
        }),
        deposits,
        "ZeroPricePerSecond",
      );
      await viem.assertions.revertWithCustomError(
        deposits.write.updateResource([RESOURCE_ID, PRICE, zeroAddress, METADATA], { account: provider.account }),
        deposits,
        "ZeroPayoutAddress",
      );
    });
  });

  describe("open", () => {
    it("takes the exact deposit and records the session, with ids from 1", async () => {
      const { deposits, user } = await loadFixture(resourceFixture);
      assert.equal(await deposits.read.depositFor([RESOURCE_ID, MAX_SECONDS]), DEPOSIT);

      const hash = await deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], {
        account: user.account,
        value: DEPOSIT,
      });
      await viem.assertions.emitWithArgs(hash, deposits, "SessionOpened", [
        SESSION_ID,
        RESOURCE_ID,
        getAddress(user.account.address),
        sessionKey.address,
        PRICE,
        MAX_SECONDS,
        DEPOSIT,
      ]);
      assert.deepEqual(await deposits.read.session([SESSION_ID]), {
        user: getAddress(user.account.address),
        openedAt: Number(await blockTimestampOf(hash)),
        closeDeadline: 0,
        status: OPEN,
        sessionKey: sessionKey.address,
        maxSeconds: MAX_SECONDS,
        resourceId: RESOURCE_ID,
        pricePerSecond: PRICE,
      });
      assert.equal(await publicClient.getBalance({ address: deposits.address }), DEPOSIT);

      await viem.assertions.balancesHaveChanged(
        deposits.write.open([RESOURCE_ID, 1, sessionKey.address], { account: user.account, value: PRICE }),
        [
          { address: user.account.address, amount: -PRICE },
          { address: deposits.address, amount: PRICE },
        ],
      );
      assert.equal(await deposits.read.sessionCount(), 2n);
    });

    it("rejects a deposit one wei short or one wei over", async () => {
      const { deposits, user } = await loadFixture(resourceFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], {
          account: user.account,
          value: DEPOSIT - 1n,
        }),
        deposits,
        "IncorrectDeposit",
        [DEPOSIT, DEPOSIT - 1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], {
          account: user.account,
          value: DEPOSIT + 1n,
        }),
        deposits,
        "IncorrectDeposit",
        [DEPOSIT, DEPOSIT + 1n],
      );
    });

    it("rejects zero seconds, a zero session key and an unknown resource", async () => {
      const { deposits, user } = await loadFixture(resourceFixture);
      await viem.assertions.revertWithCustomError(
        deposits.write.open([RESOURCE_ID, 0, sessionKey.address], { account: user.account, value: 0n }),
        deposits,
        "ZeroMaxSeconds",
      );
      await viem.assertions.revertWithCustomError(
        deposits.write.open([RESOURCE_ID, MAX_SECONDS, zeroAddress], { account: user.account, value: DEPOSIT }),
        deposits,
        "ZeroSessionKey",
      );
      for (const unknown of [0n, 2n]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          deposits.write.open([unknown, MAX_SECONDS, sessionKey.address], { account: user.account, value: DEPOSIT }),
          deposits,
          "UnknownResource",
          [unknown],
        );
      }
    });

    it("refuses a contract as session key: a key its user could switch off after being served (SessionKeyHasCode)", async () => {
      // Attack (a): a session key whose ERC-1271 answer the user turns to "invalid" once served would let it reclaim
      // the whole deposit of a fully served session. Such a key is refused before any service.
      const { deposits, user } = await loadFixture(resourceFixture);
      const revocable = await viem.deployContract("TestRevocableSessionKey", [sessionKey.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.open([RESOURCE_ID, MAX_SECONDS, revocable.address], { account: user.account, value: DEPOSIT }),
        deposits,
        "SessionKeyHasCode",
        [getAddress(revocable.address)],
      );
      const wallet = await viem.deployContract("TestERC1271Wallet", [sessionKey.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.open([RESOURCE_ID, MAX_SECONDS, wallet.address], { account: user.account, value: DEPOSIT }),
        deposits,
        "SessionKeyHasCode",
        [getAddress(wallet.address)],
      );
    });

    it("refuses a session key whose address is already delegated to code (EIP-7702)", async () => {
      const { deposits, user } = await loadFixture(resourceFixture);
      const key = privateKeyToAccount(keccak256(toHex("w3t test: ws402 key delegated before open")));
      const delegate = await viem.deployContract("TestRevocableSessionKey", [key.address]);
      await delegateKey(viem, key, delegate.address, user);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.open([RESOURCE_ID, MAX_SECONDS, key.address], { account: user.account, value: DEPOSIT }),
        deposits,
        "SessionKeyHasCode",
        [key.address],
      );
    });
  });
});
