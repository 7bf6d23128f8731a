import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { network } from "hardhat";
import { encodeErrorResult, getAddress, hashTypedData, keccak256, parseGwei, toHex, zeroAddress } from "viem";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { PrivateKeyAccount } from "viem/accounts";

import { usageTypes, ws402Domain, WS402_DOMAIN_NAME, DOMAIN_VERSION } from "@web3torrent/sdk/eip712";

import { delegateKey } from "./helpers/eip7702.ts";

const { viem, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;
const publicClient = await viem.getPublicClient();
const chainId = await publicClient.getChainId();

// The seed's PDF example, at a realistic price: 5 gwei per second, up to 10 minutes.
const PRICE = parseGwei("5");
const MAX_SECONDS = 600;
const DEPOSIT = PRICE * BigInt(MAX_SECONDS);
const GRACE = 60;
const METADATA = "ipfs://bafy-pdf-report-2024";
const RESOURCE_ID = 1n;
const SESSION_ID = 1n;

// SessionStatus enum values.
const NONE = 0;
const OPEN = 1;
const SETTLED = 2;
const RECLAIMED = 3;

// How the test contracts behave (TestUserAccount.ReceiveMode, TestReentrantProvider.Attack).
const ReceiveMode = { Accept: 0, Revert: 1, BurnGas: 2 } as const;
const Attack = { None: 0, Settle: 1, Withdraw: 2 } as const;

/** The gas the EVM adds to every call that carries value. */
const EVM_CALL_STIPEND = 2_300n;

// Gas targets from the design.
const OPEN_GAS_TARGET = 130_000n;
const SETTLE_GAS_TARGET = 70_000n;

/** Ephemeral browser keys: the session key that signs receipts and a key that has nothing to do with the session. */
const sessionKey = privateKeyToAccount(keccak256(toHex("w3t test: ws402 session key")));
const wrongKey = privateKeyToAccount(keccak256(toHex("w3t test: unrelated key")));

type Deposits = Awaited<ReturnType<typeof viem.deployContract<"WS402Deposits">>>;

/** The session key's receipt: "session `sessionId` has been used for `elapsedSeconds` in total". */
function signUsage(
  key: PrivateKeyAccount,
  verifyingContract: Address,
  sessionId: bigint,
  elapsedSeconds: bigint,
  signingChainId: number = chainId,
): Promise<Hex> {
  return key.signTypedData({
    domain: ws402Domain(signingChainId, verifyingContract),
    types: usageTypes,
    primaryType: "Usage",
    message: { sessionId, elapsedSeconds },
  });
}

async function gasUsed(hash: Hex | Promise<Hex>): Promise<bigint> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  return receipt.gasUsed;
}

async function blockTimestampOf(hash: Hex): Promise<bigint> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
  return block.timestamp;
}

async function deployFixture() {
  const [owner, provider, payout, user, stranger] = await viem.getWalletClients();
  const deposits = await viem.deployContract("WS402Deposits", [owner.account.address, GRACE]);
  return { deposits, owner, provider, payout, user, stranger };
}

/** A provider has registered the PDF (resource 1), paid out to a separate payout address. */
async function resourceFixture() {
  const f = await deployFixture();
  await f.deposits.write.registerResource([PRICE, f.payout.account.address, METADATA], {
    account: f.provider.account,
  });
  return f;
}

/** A user has opened session 1 on resource 1 for 600 s with `sessionKey`. */
async function sessionFixture() {
  const f = await resourceFixture();
  await f.deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], {
    account: f.user.account,
    value: DEPOSIT,
  });
  return f;
}

/** Session 1 with its close requested; `deadline` is when the grace period ends. */
async function closeRequestedFixture() {
  const f = await sessionFixture();
  const hash = await f.deposits.write.requestClose([SESSION_ID], { account: f.user.account });
  const deadline = (await blockTimestampOf(hash)) + BigInt(GRACE);
  return { ...f, deadline };
}

/** A contract account (can be told to refuse ETH) that has opened session 1. */
async function contractUserFixture() {
  const f = await resourceFixture();
  const account = await viem.deployContract("TestUserAccount", [f.deposits.address]);
  await account.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], {
    account: f.user.account,
    value: DEPOSIT,
  });
  return { ...f, account };
}

/** A hostile provider, its own payout address, whose resource 1 has session 1 opened by an honest user. */
async function reentrantProviderFixture() {
  const f = await deployFixture();
  const attacker = await viem.deployContract("TestReentrantProvider", [f.deposits.address]);
  await attacker.write.register([PRICE]);
  await f.deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], {
    account: f.user.account,
    value: DEPOSIT,
  });
  return { ...f, attacker };
}

async function assertSessionStatus(deposits: Deposits, sessionId: bigint, status: number) {
  assert.equal((await deposits.read.session([sessionId])).status, status);
}

describe("WS402Deposits", () => {
  describe("deployment", () => {
    it("sets the owner, the grace period and its bounds, and announces the grace period", async () => {
      const [owner] = await viem.getWalletClients();
      const { contract, deploymentTransaction } = await viem.sendDeploymentTransaction("WS402Deposits", [
        owner.account.address,
        GRACE,
      ]);
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
      await viem.assertions.emitWithArgs(
        deposits.write.acceptOwnership({ account: stranger.account }),
        deposits,
        "OwnershipTransferred",
        [getAddress(owner.account.address), getAddress(stranger.account.address)],
      );
      assert.equal(await deposits.read.owner(), getAddress(stranger.account.address));
    });
  });

  describe("setGracePeriod", () => {
    it("lets the owner set any period within the bounds", async () => {
      const { deposits, owner } = await loadFixture(deployFixture);
      await viem.assertions.emitWithArgs(
        deposits.write.setGracePeriod([30], { account: owner.account }),
        deposits,
        "GracePeriodUpdated",
        [GRACE, 30],
      );
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
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 42n);
      await viem.assertions.emitWithArgs(
        deposits.write.settle([SESSION_ID, 42n, signature], { account: provider.account }),
        deposits,
        "SessionSettled",
        [SESSION_ID, 42n, 42n * PRICE, DEPOSIT - 42n * PRICE],
      );

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
      await viem.assertions.balancesHaveChanged(account.write.withdraw(), [
        { address: account.address, amount: DEPOSIT },
      ]);
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
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 100n);
      await viem.assertions.balancesHaveChanged(
        deposits.write.settle([SESSION_ID, 100n, signature], { account: provider.account }),
        [
          { address: stranger.account.address, amount: 100n * PRICE },
          { address: payout.account.address, amount: 0n },
          { address: user.account.address, amount: DEPOSIT - 100n * PRICE },
        ],
      );

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

  describe("settle", () => {
    it("quick preview: pays 30 s and refunds the other 570 s", async () => {
      const { deposits, provider, payout, user } = await loadFixture(sessionFixture);
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 30n);
      const paid = 30n * PRICE;
      const refunded = 570n * PRICE;
      const hash = deposits.write.settle([SESSION_ID, 30n, signature], { account: provider.account });
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
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 10_000n);
      const hash = deposits.write.settle([SESSION_ID, 10_000n, signature], { account: provider.account });
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
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 30n);
      await deposits.write.settle([SESSION_ID, 30n, signature], { account: provider.account });
      const later = await signUsage(sessionKey, deposits.address, SESSION_ID, 300n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.settle([SESSION_ID, 300n, later], { account: provider.account }),
        deposits,
        "SessionNotOpen",
        [SESSION_ID, SETTLED],
      );
      assert.equal(await publicClient.getBalance({ address: deposits.address }), 0n);
    });

    it("refuses a session that was never opened", async () => {
      const { deposits, provider } = await loadFixture(sessionFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.settle([2n, 0n, "0x"], { account: provider.account }),
        deposits,
        "SessionNotOpen",
        [2n, NONE],
      );
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

    it("refuses a receipt signed by the wrong key, or for other seconds than signed", async () => {
      const { deposits, provider } = await loadFixture(sessionFixture);
      const wrong = await signUsage(wrongKey, deposits.address, SESSION_ID, 30n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.settle([SESSION_ID, 30n, wrong], { account: provider.account }),
        deposits,
        "InvalidUsageSignature",
        [SESSION_ID, sessionKey.address],
      );
      const signedFor30 = await signUsage(sessionKey, deposits.address, SESSION_ID, 30n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.settle([SESSION_ID, 600n, signedFor30], { account: provider.account }),
        deposits,
        "InvalidUsageSignature",
        [SESSION_ID, sessionKey.address],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.settle([SESSION_ID, 30n, "0x1234"], { account: provider.account }),
        deposits,
        "InvalidUsageSignature",
        [SESSION_ID, sessionKey.address],
      );
    });

    it("refuses a receipt replayed from another session of the same key", async () => {
      const { deposits, provider, user } = await loadFixture(sessionFixture);
      await deposits.write.open([RESOURCE_ID, MAX_SECONDS, sessionKey.address], { account: user.account, value: DEPOSIT });
      const forSession1 = await signUsage(sessionKey, deposits.address, SESSION_ID, 600n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.settle([2n, 600n, forSession1], { account: provider.account }),
        deposits,
        "InvalidUsageSignature",
        [2n, sessionKey.address],
      );
    });

    it("refuses a receipt signed for another deployment", async () => {
      const { deposits, owner, provider } = await loadFixture(sessionFixture);
      const otherDeployment = await viem.deployContract("WS402Deposits", [owner.account.address, GRACE]);
      const forOther = await signUsage(sessionKey, otherDeployment.address, SESSION_ID, 600n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.settle([SESSION_ID, 600n, forOther], { account: provider.account }),
        deposits,
        "InvalidUsageSignature",
        [SESSION_ID, sessionKey.address],
      );
    });

    it("refuses a receipt signed for another chain", async () => {
      const { deposits, provider } = await loadFixture(sessionFixture);
      const forOtherChain = await signUsage(sessionKey, deposits.address, SESSION_ID, 600n, chainId + 1);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.settle([SESSION_ID, 600n, forOtherChain], { account: provider.account }),
        deposits,
        "InvalidUsageSignature",
        [SESSION_ID, sessionKey.address],
      );
    });

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

      await viem.assertions.balancesHaveChanged(
        deposits.write.settle([SESSION_ID, 600n, served], { account: provider.account }),
        [
          { address: payout.account.address, amount: DEPOSIT },
          { address: user.account.address, amount: 0n },
        ],
      );
      await time.increase(GRACE);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.reclaim([SESSION_ID], { account: user.account }),
        deposits,
        "SessionNotOpen",
        [SESSION_ID, SETTLED],
      );
    });

    it("is allowed during the grace period after a close request", async () => {
      const { deposits, provider, payout, deadline } = await loadFixture(closeRequestedFixture);
      await time.increaseTo(deadline - 10n);
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 200n);
      await viem.assertions.balancesHaveChanged(
        deposits.write.settle([SESSION_ID, 200n, signature], { account: provider.account }),
        [{ address: payout.account.address, amount: 200n * PRICE }],
      );
    });

    it("is still allowed after the deadline until the user reclaims; the first to land wins", async () => {
      const { deposits, provider, user, deadline } = await loadFixture(closeRequestedFixture);
      await time.increaseTo(deadline + 100n);
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 200n);
      await deposits.write.settle([SESSION_ID, 200n, signature], { account: provider.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.reclaim([SESSION_ID], { account: user.account }),
        deposits,
        "SessionNotOpen",
        [SESSION_ID, SETTLED],
      );
    });
  });

  describe("payments that cannot be pushed", () => {
    it("a user that reverts on receive gets a pull balance, and the provider is paid", async () => {
      const { deposits, provider, payout, account } = await loadFixture(contractUserFixture);
      await account.write.setReceiveMode([ReceiveMode.Revert]);
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 30n);
      const refund = 570n * PRICE;
      const hash = deposits.write.settle([SESSION_ID, 30n, signature], { account: provider.account });
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
      await viem.assertions.revertWithCustomErrorWithArgs(account.write.withdraw(), deposits, "NothingToWithdraw", [
        account.address,
      ]);
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
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 30n);
      const hash = deposits.write.settle([SESSION_ID, 30n, signature], { account: provider.account });
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
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.requestClose([2n], { account: user.account }),
        deposits,
        "SessionNotOpen",
        [2n, NONE],
      );
      await deposits.write.settle([SESSION_ID, 0n, "0x"], { account: provider.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.requestClose([SESSION_ID], { account: user.account }),
        deposits,
        "SessionNotOpen",
        [SESSION_ID, SETTLED],
      );
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
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 600n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.settle([SESSION_ID, 600n, signature], { account: provider.account }),
        deposits,
        "SessionNotOpen",
        [SESSION_ID, RECLAIMED],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.write.reclaim([SESSION_ID], { account: user.account }),
        deposits,
        "SessionNotOpen",
        [SESSION_ID, RECLAIMED],
      );
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
      await viem.assertions.revertWithCustomErrorWithArgs(
        deposits.read.depositFor([7n, MAX_SECONDS]),
        deposits,
        "UnknownResource",
        [7n],
      );
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
      const signature = await signUsage(sessionKey, deposits.address, SESSION_ID, 120n);
      const settle = await gasUsed(
        deposits.write.settle([SESSION_ID, 120n, signature], { account: provider.account }),
      );
      t.diagnostic(`gas: open (first session) ${firstOpen}, open ${laterOpen}, settle (two payments) ${settle}`);
      assert.ok(firstOpen <= OPEN_GAS_TARGET, `first open used ${firstOpen}`);
      assert.ok(laterOpen <= OPEN_GAS_TARGET, `open used ${laterOpen}`);
      assert.ok(settle <= SETTLE_GAS_TARGET, `settle used ${settle}`);
    });
  });
});
