import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { network } from "hardhat";
import { getAddress, hashTypedData, keccak256, toFunctionSelector, toHex, zeroAddress, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type LocalAccount } from "viem/accounts";

import { closeTypes, escrowDomain, voucherTypes, type Voucher } from "@web3torrent/sdk/eip712";
import { recoverVoucherSigner } from "@web3torrent/sdk/sessionKey";
import {
  CheckpointMode,
  FIRST_CHECKPOINT,
  MIB,
  amountFor,
  checkpointAt,
  checkpointCount,
  checkpoints,
  isCheckpoint,
  nextCheckpoint,
  reservationFor,
} from "@web3torrent/sdk/checkpointSchedule";

import {
  CHALLENGE_WINDOW,
  CONTENT_SIZE,
  IDLE_EXPIRY,
  buyLicense,
  deployEscrowSystem,
  registerContent,
  signVoucher,
} from "./helpers/escrowSetup.ts";
import { delegateKey } from "./helpers/eip7702.ts";

const { viem, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const EXPONENTIAL = CheckpointMode.Exponential;
const UPFRONT = CheckpointMode.Upfront;
const STATUS = { None: 0, Open: 1, Closing: 2, Closed: 3 } as const;
const PRICE = 10n ** 12n; // wei per MiB
const MAX_BYTES = CONTENT_SIZE;
const DEPOSIT = amountFor(MAX_BYTES, PRICE);
const MIB_10 = FIRST_CHECKPOINT;
const MIB_30 = 3n * FIRST_CHECKPOINT;
const MIB_70 = 7n * FIRST_CHECKPOINT;
const MAX_PRICE_PER_MIB = (1n << 96n) - 1n;
const MIN_CHALLENGE_WINDOW = 60;
const MAX_CHALLENGE_WINDOW = 7 * 24 * 60 * 60;
const MIN_IDLE_EXPIRY = 24 * 60 * 60;
const MAX_IDLE_EXPIRY = 365 * 24 * 60 * 60;
const REENTRANCY_ERROR_SELECTOR = toFunctionSelector("ReentrancyGuardReentrantCall()");
const ATTACK = { None: 0, Redeem: 1, Refund: 2, Reject: 3 } as const;
/** CheckpointEscrow.SkipReason: why a batch passed over a voucher. */
const SKIP = { NotNewer: 0, NotRedeemable: 1, DepositExhausted: 2 } as const;
const SINGLE_REDEMPTION_GAS_TARGET = 75_000n;
const BATCH_REDEMPTION_GAS_TARGET = 45_000n;
const BATCH_SIZE = 10;
/** The order of secp256k1: `n - s` is the malleable twin of a signature's s. */
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The download's session key (fixed for the fixtures), and a key the escrow does not know. */
const sessionKey = privateKeyToAccount(generatePrivateKey());
const strangerKey = privateKeyToAccount(generatePrivateKey());

async function deployed() {
  return deployEscrowSystem(viem);
}

/** Escrow 1: the leecher's exponential download of the whole content, deposit exactly its price. */
async function opened() {
  const system = await deployEscrowSystem(viem);
  const { escrow, leecher, contentId } = system;
  await escrow.write.open([contentId, MAX_BYTES, PRICE, sessionKey.address, EXPONENTIAL], {
    account: leecher.account,
    value: DEPOSIT,
  });
  return { ...system, escrowId: 1n };
}

type System = Awaited<ReturnType<typeof deployed>>;

async function signed(
  system: System,
  fields: { seeder: Address; cumulativeBytes: bigint; cumulativeAmount?: bigint; escrowId?: bigint },
  key: LocalAccount = sessionKey,
): Promise<{ v: Voucher; sig: Hex }> {
  const v: Voucher = {
    escrowId: fields.escrowId ?? 1n,
    seeder: fields.seeder,
    cumulativeBytes: fields.cumulativeBytes,
    cumulativeAmount: fields.cumulativeAmount ?? amountFor(fields.cumulativeBytes, PRICE),
  };
  return { v, sig: await signVoucher(key, system.chainId, system.escrow.address, v) };
}

async function closeAndWait(system: System, escrowId = 1n) {
  await system.escrow.write.close([escrowId], { account: system.leecher.account });
  await time.increase(CHALLENGE_WINDOW);
}

describe("CheckpointEscrow", () => {
  describe("deployment", () => {
    it("stores the market, the owner and the settings, and emits the settings for the indexer", async () => {
      const { owner, market } = await loadFixture(deployed);
      const { contract, deploymentTransaction } = await viem.sendDeploymentTransaction("CheckpointEscrow", [
        owner.account.address,
        market.address,
        CHALLENGE_WINDOW,
        IDLE_EXPIRY,
      ]);
      await viem.assertions.emitWithArgs(
        Promise.resolve(deploymentTransaction.hash),
        contract,
        "ChallengeWindowUpdated",
        [0, CHALLENGE_WINDOW],
      );
      await viem.assertions.emitWithArgs(Promise.resolve(deploymentTransaction.hash), contract, "IdleExpiryUpdated", [
        0,
        IDLE_EXPIRY,
      ]);
      assert.equal((await contract.read.market()).toLowerCase(), market.address.toLowerCase());
      assert.equal((await contract.read.owner()).toLowerCase(), owner.account.address.toLowerCase());
      assert.equal(await contract.read.challengeWindow(), CHALLENGE_WINDOW);
      assert.equal(await contract.read.idleExpiry(), IDLE_EXPIRY);
      assert.equal(await contract.read.escrowCount(), 0n);
    });

    it("uses the sdk's EIP-712 domain and voucher type", async () => {
      const { escrow, chainId } = await loadFixture(deployed);
      const [, name, version, domainChainId, verifyingContract] = await escrow.read.eip712Domain();
      const expected = escrowDomain(chainId, escrow.address);
      assert.equal(name, expected.name);
      assert.equal(version, expected.version);
      assert.equal(domainChainId, BigInt(expected.chainId!));
      assert.equal(verifyingContract.toLowerCase(), escrow.address.toLowerCase());
      const typeString = `Voucher(${voucherTypes.Voucher.map((f) => `${f.type} ${f.name}`).join(",")})`;
      assert.equal(await escrow.read.VOUCHER_TYPEHASH(), keccak256(toHex(typeString)));
      const v: Voucher = {
        escrowId: 7n,
        seeder: strangerKey.address,
        cumulativeBytes: MIB_30,
        cumulativeAmount: 12345n,
      };
      assert.equal(
        await escrow.read.hashVoucher([v]),
        hashTypedData({ domain: expected, types: voucherTypes, primaryType: "Voucher", message: v }),
      );
    });

    it("uses the sdk's Close type for the session key's signed close", async () => {
      const { escrow, chainId } = await loadFixture(deployed);
      const typeString = `Close(${closeTypes.Close.map((f) => `${f.type} ${f.name}`).join(",")})`;
      assert.equal(await escrow.read.CLOSE_TYPEHASH(), keccak256(toHex(typeString)));
      assert.equal(
        await escrow.read.hashClose([7n]),
        hashTypedData({ domain: escrowDomain(chainId, escrow.address), types: closeTypes, primaryType: "Close", message: { escrowId: 7n } }),
      );
    });

    it("rejects a zero market and settings out of range", async () => {
      const { owner, market, escrow } = await loadFixture(deployed);
      const deploy = (marketAddress: Address, window: number, expiry: number) =>
        viem.deployContract("CheckpointEscrow", [owner.account.address, marketAddress, window, expiry]);
      await viem.assertions.revertWithCustomError(
        deploy(zeroAddress, CHALLENGE_WINDOW, IDLE_EXPIRY),
        escrow,
        "ZeroMarket",
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        deploy(market.address, MIN_CHALLENGE_WINDOW - 1, IDLE_EXPIRY),
        escrow,
        "ChallengeWindowOutOfRange",
        [MIN_CHALLENGE_WINDOW - 1, MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        deploy(market.address, CHALLENGE_WINDOW, MAX_IDLE_EXPIRY + 1),
        escrow,
        "IdleExpiryOutOfRange",
        [MAX_IDLE_EXPIRY + 1, MIN_IDLE_EXPIRY, MAX_IDLE_EXPIRY],
      );
    });
  });

  describe("open", () => {
    it("takes the deposit, stores the escrow packed and emits EscrowOpened", async () => {
      const { escrow, leecher, contentId } = await loadFixture(deployed);
      const tx = escrow.write.open([contentId, MAX_BYTES, PRICE, sessionKey.address, EXPONENTIAL], {
        account: leecher.account,
        value: DEPOSIT,
      });
      await viem.assertions.emitWithArgs(tx, escrow, "EscrowOpened", [
        1n,
        leecher.account.address,
        contentId,
        sessionKey.address,
        EXPONENTIAL,
        MAX_BYTES,
        PRICE,
        DEPOSIT,
      ]);
      const e = await escrow.read.escrow([1n]);
      assert.equal(e.unpaid, DEPOSIT);
      assert.equal(e.deposit, DEPOSIT);
      assert.equal(e.maxBytes, MAX_BYTES);
      assert.equal(e.pricePerMiB, PRICE);
      assert.equal(e.status, STATUS.Open);
      assert.equal(e.mode, EXPONENTIAL);
      assert.equal(e.lastActivity, await time.latest());
      assert.equal(e.closesAt, 0);
      assert.equal(e.seeders, 0);
      assert.equal(e.waivers, 0);
      assert.equal(e.contentId, contentId);
      assert.equal(e.leecher.toLowerCase(), leecher.account.address.toLowerCase());
      assert.equal(e.sessionKey.toLowerCase(), sessionKey.address.toLowerCase());
      assert.equal(await escrow.read.remaining([1n]), DEPOSIT);
      assert.equal(await escrow.read.escrowCount(), 1n);
    });

    it("keeps any overpayment as part of the deposit and numbers escrows from 1", async () => {
      const { escrow, leecher, contentId } = await loadFixture(opened);
      const extra = 777n;
      await viem.assertions.balancesHaveChanged(
        escrow.write.open([contentId, MIB_10, PRICE, sessionKey.address, UPFRONT], {
          account: leecher.account,
          value: amountFor(MIB_10, PRICE) + extra,
        }),
        [
          { address: leecher.account.address, amount: -(amountFor(MIB_10, PRICE) + extra) },
          { address: escrow.address, amount: amountFor(MIB_10, PRICE) + extra },
        ],
      );
      assert.equal(await escrow.read.escrowCount(), 2n);
      assert.equal((await escrow.read.escrow([2n])).deposit, amountFor(MIB_10, PRICE) + extra);
    });

    it("requires a license of the content", async () => {
      const { escrow, stranger, contentId } = await loadFixture(deployed);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.open([contentId, MAX_BYTES, PRICE, sessionKey.address, EXPONENTIAL], {
          account: stranger.account,
          value: DEPOSIT,
        }),
        escrow,
        "NoLicense",
        [stranger.account.address, contentId],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.open([contentId + 1n, MAX_BYTES, PRICE, sessionKey.address, EXPONENTIAL], {
          account: stranger.account,
          value: DEPOSIT,
        }),
        escrow,
        "NoLicense",
        [stranger.account.address, contentId + 1n],
      );
    });

    it("requires 0 < maxBytes <= the content size", async () => {
      const { escrow, leecher, contentId } = await loadFixture(deployed);
      for (const maxBytes of [0n, CONTENT_SIZE + 1n]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          escrow.write.open([contentId, maxBytes, PRICE, sessionKey.address, EXPONENTIAL], {
            account: leecher.account,
            value: DEPOSIT * 2n,
          }),
          escrow,
          "MaxBytesOutOfRange",
          [maxBytes, CONTENT_SIZE],
        );
      }
    });

    it("requires 0 < pricePerMiB <= MAX_PRICE_PER_MIB", async () => {
      const { escrow, leecher, contentId } = await loadFixture(deployed);
      assert.equal(await escrow.read.MAX_PRICE_PER_MIB(), MAX_PRICE_PER_MIB);
      for (const price of [0n, MAX_PRICE_PER_MIB + 1n]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          escrow.write.open([contentId, 1n, price, sessionKey.address, EXPONENTIAL], {
            account: leecher.account,
            value: DEPOSIT,
          }),
          escrow,
          "PricePerMiBOutOfRange",
          [price, MAX_PRICE_PER_MIB],
        );
      }
    });

    it("requires a session key", async () => {
      const { escrow, leecher, contentId } = await loadFixture(deployed);
      await viem.assertions.revertWithCustomError(
        escrow.write.open([contentId, MAX_BYTES, PRICE, zeroAddress, EXPONENTIAL], {
          account: leecher.account,
          value: DEPOSIT,
        }),
        escrow,
        "ZeroSessionKey",
      );
    });

    it("refuses a contract as session key: a key its leecher could switch off after being served (SessionKeyHasCode)", async () => {
      // Attack (a): a session key whose ERC-1271 answer the leecher turns to "invalid" once the bytes are served
      // would void every voucher the seeders hold, and the refund would return the whole deposit. Refused at open.
      const { escrow, leecher, contentId } = await loadFixture(deployed);
      for (const contract of ["TestRevocableSessionKey", "TestERC1271Wallet"] as const) {
        const key = await viem.deployContract(contract, [sessionKey.address]);
        await viem.assertions.revertWithCustomErrorWithArgs(
          escrow.write.open([contentId, MAX_BYTES, PRICE, key.address, EXPONENTIAL], {
            account: leecher.account,
            value: DEPOSIT,
          }),
          escrow,
          "SessionKeyHasCode",
          [getAddress(key.address)],
        );
      }
    });

    it("refuses a session key whose address is already delegated to code (EIP-7702)", async () => {
      const { escrow, leecher, contentId } = await loadFixture(deployed);
      const key = privateKeyToAccount(keccak256(toHex("w3t test: escrow key delegated before open")));
      const delegate = await viem.deployContract("TestRevocableSessionKey", [key.address]);
      await delegateKey(viem, key, delegate.address, leecher);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.open([contentId, MAX_BYTES, PRICE, key.address, EXPONENTIAL], {
          account: leecher.account,
          value: DEPOSIT,
        }),
        escrow,
        "SessionKeyHasCode",
        [key.address],
      );
    });

    it("requires a deposit covering maxBytes at pricePerMiB", async () => {
      const { escrow, leecher, contentId } = await loadFixture(deployed);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.open([contentId, MAX_BYTES, PRICE, sessionKey.address, EXPONENTIAL], {
          account: leecher.account,
          value: DEPOSIT - 1n,
        }),
        escrow,
        "InsufficientDeposit",
        [DEPOSIT, DEPOSIT - 1n],
      );
    });

    it("is blocked while paused, and only open is", async () => {
      const system = await loadFixture(opened);
      const { escrow, owner, leecher, seederA, contentId } = system;
      await viem.assertions.emitWithArgs(escrow.write.pause({ account: owner.account }), escrow, "Paused", [
        owner.account.address,
      ]);
      await viem.assertions.revertWithCustomError(
        escrow.write.open([contentId, MAX_BYTES, PRICE, sessionKey.address, EXPONENTIAL], {
          account: leecher.account,
          value: DEPOSIT,
        }),
        escrow,
        "EnforcedPause",
      );
      // Redemption (single and batched), release, close, waiver and refund go on.
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      await escrow.write.redeem([v, sig], { account: seederA.account });
      const later = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      await escrow.write.redeemBatch([seederA.account.address, [later.v], [later.sig]], { account: seederA.account });
      await escrow.write.release([1n, seederA.account.address, MIB_70, PRICE], { account: leecher.account });
      await escrow.write.close([1n], { account: leecher.account });
      await escrow.write.waiveChallenge([1n], { account: seederA.account });
      await viem.assertions.balancesHaveChanged(escrow.write.refund([1n]), [
        { address: leecher.account.address, amount: DEPOSIT - amountFor(MIB_70, PRICE) },
      ]);
      await viem.assertions.emitWithArgs(escrow.write.unpause({ account: owner.account }), escrow, "Unpaused", [
        owner.account.address,
      ]);
      await escrow.write.open([contentId, MAX_BYTES, PRICE, sessionKey.address, EXPONENTIAL], {
        account: leecher.account,
        value: DEPOSIT,
      });
    });
  });

  describe("redeem", () => {
    it("pays the seeder its voucher, records it and emits VoucherRedeemed; anyone may submit", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA, stranger } = system;
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const amount = amountFor(MIB_10, PRICE);
      const tx = escrow.write.redeem([v, sig], { account: stranger.account });
      await viem.assertions.balancesHaveChanged(tx, [
        { address: seederA.account.address, amount },
        { address: escrow.address, amount: -amount },
      ]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherRedeemed", [
        1n,
        seederA.account.address,
        MIB_10,
        amount,
        amount,
      ]);
      const record = await escrow.read.redeemedBy([1n, seederA.account.address]);
      assert.deepEqual(record, { amount, cumulativeBytes: MIB_10, waived: false, reserved: 0n });
      const e = await escrow.read.escrow([1n]);
      assert.equal(e.unpaid, DEPOSIT - amount);
      assert.equal(e.seeders, 1);
      assert.equal(e.lastActivity, await time.latest());
      assert.equal(await escrow.read.remaining([1n]), DEPOSIT - amount);
    });

    it("pays only the difference for a later cumulative voucher", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA } = system;
      const first = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const second = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      await escrow.write.redeem([first.v, first.sig], { account: seederA.account });
      const difference = amountFor(MIB_30, PRICE) - amountFor(MIB_10, PRICE);
      const tx = escrow.write.redeem([second.v, second.sig], { account: seederA.account });
      await viem.assertions.balancesHaveChanged(tx, [{ address: seederA.account.address, amount: difference }]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherRedeemed", [
        1n,
        seederA.account.address,
        MIB_30,
        amountFor(MIB_30, PRICE),
        difference,
      ]);
      assert.equal((await escrow.read.escrow([1n])).seeders, 1);
    });

    it("refuses a replayed or older voucher: VoucherNotNewer", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA } = system;
      const first = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const second = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      await escrow.write.redeem([second.v, second.sig], { account: seederA.account });
      for (const { v, sig } of [second, first]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          escrow.write.redeem([v, sig], { account: seederA.account }),
          escrow,
          "VoucherNotNewer",
          [v.cumulativeAmount, amountFor(MIB_30, PRICE)],
        );
      }
    });

    it("refuses a signature not by the session key, for another contract or another chain", async () => {
      const system = await loadFixture(opened);
      const { escrow, market, seederA, chainId } = system;
      const v: Voucher = {
        escrowId: 1n,
        seeder: seederA.account.address,
        cumulativeBytes: MIB_10,
        cumulativeAmount: amountFor(MIB_10, PRICE),
      };
      const sign = (key: LocalAccount, domain: ReturnType<typeof escrowDomain>) =>
        key.signTypedData({ domain, types: voucherTypes, primaryType: "Voucher", message: v });
      const forged = [
        await sign(strangerKey, escrowDomain(chainId, escrow.address)),
        await sign(sessionKey, escrowDomain(chainId, market.address)),
        await sign(sessionKey, escrowDomain(chainId + 1, escrow.address)),
        "0x1234" as Hex,
      ];
      for (const sig of forged) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          escrow.write.redeem([v, sig], { account: seederA.account }),
          escrow,
          "InvalidVoucherSignature",
          [1n],
        );
      }
    });

    it("refuses a voucher of escrow A replayed on escrow B with the same session key", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, contentId } = system;
      await escrow.write.open([contentId, MAX_BYTES, PRICE, sessionKey.address, EXPONENTIAL], {
        account: leecher.account,
        value: DEPOSIT,
      });
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeem([{ ...v, escrowId: 2n }, sig], { account: seederA.account }),
        escrow,
        "InvalidVoucherSignature",
        [2n],
      );
      await escrow.write.redeem([v, sig], { account: seederA.account });
      assert.equal(await escrow.read.remaining([2n]), DEPOSIT);
    });

    it("pays a voucher signed before the session key delegated its address (EIP-7702) to code that disowns it", async () => {
      // Attack (b): once served, the plain key signs one EIP-7702 authorization; its address now answers ERC-1271
      // with "invalid". Vouchers are checked by ECDSA only, so the seeder is still paid and the refund is the rest.
      const system = await loadFixture(deployed);
      const { escrow, leecher, seederA, contentId } = system;
      const key = privateKeyToAccount(keccak256(toHex("w3t test: escrow key that gains code")));
      await escrow.write.open([contentId, MAX_BYTES, PRICE, key.address, EXPONENTIAL], {
        account: leecher.account,
        value: DEPOSIT,
      });
      const served = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_70 }, key);
      const disowning = await viem.deployContract("TestRevocableSessionKey", [key.address]);
      await delegateKey(viem, key, disowning.address, leecher);
      await escrow.write.close([1n], { account: leecher.account });

      await viem.assertions.balancesHaveChanged(escrow.write.redeem([served.v, served.sig], { account: seederA.account }), [
        { address: seederA.account.address, amount: amountFor(MIB_70, PRICE) },
      ]);
      await time.increase(CHALLENGE_WINDOW);
      await viem.assertions.balancesHaveChanged(escrow.write.refund([1n]), [
        { address: leecher.account.address, amount: DEPOSIT - amountFor(MIB_70, PRICE) },
      ]);
    });

    it("agrees with the sdk's seeder check on a session key's signature: both refuse the high-s twin, v of 0 or 1 and the 64-byte form", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA, chainId } = system;
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const ctx = { chainId, escrow: escrow.address };
      const r = sig.slice(2, 66);
      const sValue = BigInt(`0x${sig.slice(66, 130)}`);
      const recovery = Number.parseInt(sig.slice(130), 16);
      const word = (x: bigint) => x.toString(16).padStart(64, "0");
      const forms: Record<string, Hex> = {
        "high-s twin": `0x${r}${word(SECP256K1_ORDER - sValue)}${(recovery === 27 ? 28 : 27).toString(16)}`,
        "v of 0 or 1": `0x${r}${word(sValue)}0${recovery - 27}`,
        "64-byte compact form": `0x${r}${word(sValue | (BigInt(recovery - 27) << 255n))}`,
      };
      for (const [form, signature] of Object.entries(forms)) {
        assert.equal(await recoverVoucherSigner(ctx, v, signature), undefined, `the sdk refuses the ${form}`);
        await viem.assertions.revertWithCustomErrorWithArgs(
          escrow.write.redeem([v, signature]),
          escrow,
          "InvalidVoucherSignature",
          [1n],
        );
      }
      assert.equal(await recoverVoucherSigner(ctx, v, sig), sessionKey.address);
      await escrow.write.redeem([v, sig]);
    });

    it("refuses a zero seeder, bytes beyond maxBytes and an amount above the price", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA } = system;
      const zero = await signed(system, { seeder: zeroAddress, cumulativeBytes: MIB_10 });
      await viem.assertions.revertWithCustomError(escrow.write.redeem([zero.v, zero.sig]), escrow, "ZeroSeeder");
      const tooFar = await signed(system, {
        seeder: seederA.account.address,
        cumulativeBytes: MAX_BYTES + 1n,
        cumulativeAmount: 1n,
      });
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeem([tooFar.v, tooFar.sig]),
        escrow,
        "BytesOverMax",
        [MAX_BYTES + 1n, MAX_BYTES],
      );
      const overPriced = await signed(system, {
        seeder: seederA.account.address,
        cumulativeBytes: MIB_10,
        cumulativeAmount: amountFor(MIB_10, PRICE) + 1n,
      });
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeem([overPriced.v, overPriced.sig]),
        escrow,
        "VoucherOverPrice",
        [amountFor(MIB_10, PRICE) + 1n, amountFor(MIB_10, PRICE)],
      );
    });

    it("refuses an unknown escrow, one past its challenge window and a refunded one: EscrowNotRedeemable", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA } = system;
      const unknown = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10, escrowId: 9n });
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeem([unknown.v, unknown.sig]),
        escrow,
        "EscrowNotRedeemable",
        [9n],
      );
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      await closeAndWait(system);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeem([v, sig]),
        escrow,
        "EscrowNotRedeemable",
        [1n],
      );
      await escrow.write.refund([1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeem([v, sig]),
        escrow,
        "EscrowNotRedeemable",
        [1n],
      );
    });

    it("pays what is left when the deposit runs short, then DepositExhausted", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA, seederB } = system;
      const a = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_70 });
      const b = await signed(system, { seeder: seederB.account.address, cumulativeBytes: MIB_70 });
      await escrow.write.redeem([a.v, a.sig]);
      const left = DEPOSIT - amountFor(MIB_70, PRICE);
      const tx = escrow.write.redeem([b.v, b.sig]);
      await viem.assertions.balancesHaveChanged(tx, [{ address: seederB.account.address, amount: left }]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherRedeemed", [
        1n,
        seederB.account.address,
        MIB_70,
        amountFor(MIB_70, PRICE),
        left,
      ]);
      // B's record grew only by what it was paid, so its voucher is still "newer" — but nothing is left.
      assert.equal((await escrow.read.redeemedBy([1n, seederB.account.address])).amount, left);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeem([b.v, b.sig]),
        escrow,
        "DepositExhausted",
        [1n],
      );
      assert.equal(await escrow.read.remaining([1n]), 0n);
    });

    it("refuses a seeder whose record is final after waiving: SeederWaived", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA, leecher } = system;
      const first = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const second = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      await escrow.write.redeem([first.v, first.sig]);
      await escrow.write.close([1n], { account: leecher.account });
      await escrow.write.waiveChallenge([1n], { account: seederA.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeem([second.v, second.sig]),
        escrow,
        "SeederWaived",
        [1n, seederA.account.address],
      );
    });

    it("fails only the seeder's own redemption when it rejects ETH: TransferFailed", async () => {
      const system = await loadFixture(opened);
      const { escrow } = system;
      const actor = await viem.deployContract("ReentrantEscrowActor", [escrow.address]);
      const { v, sig } = await signed(system, { seeder: actor.address, cumulativeBytes: MIB_10 });
      await actor.write.arm([ATTACK.Reject, v, "0x", 0n]);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.redeem([v, sig]), escrow, "TransferFailed", [
        actor.address,
        amountFor(MIB_10, PRICE),
      ]);
    });

    it("gives a seeder that re-enters redeem from its receive hook nothing more", async () => {
      const system = await loadFixture(opened);
      const { escrow, stranger } = system;
      const actor = await viem.deployContract("ReentrantEscrowActor", [escrow.address]);
      const first = await signed(system, { seeder: actor.address, cumulativeBytes: MIB_10 });
      const second = await signed(system, { seeder: actor.address, cumulativeBytes: MIB_30 });
      await actor.write.arm([ATTACK.Redeem, second.v, second.sig, 0n]);
      await viem.assertions.balancesHaveChanged(
        escrow.write.redeem([first.v, first.sig], { account: stranger.account }),
        [
          { address: actor.address, amount: amountFor(MIB_10, PRICE) },
          { address: escrow.address, amount: -amountFor(MIB_10, PRICE) },
        ],
      );
      assert.equal(await actor.read.paymentsReceived(), 1n);
      assert.equal(await actor.read.reentrySucceeded(), 0n);
      assert.equal(await actor.read.lastReentryError(), REENTRANCY_ERROR_SELECTOR);
      // The newer voucher still pays exactly the difference, once.
      await viem.assertions.balancesHaveChanged(escrow.write.redeem([second.v, second.sig]), [
        { address: actor.address, amount: amountFor(MIB_30, PRICE) - amountFor(MIB_10, PRICE) },
      ]);
    });
  });

  describe("redeemBatch", () => {
    it("redeems vouchers of several escrows with one transfer", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, contentId } = system;
      await escrow.write.open([contentId, MAX_BYTES, PRICE, strangerKey.address, UPFRONT], {
        account: leecher.account,
        value: DEPOSIT,
      });
      const a1 = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const a1later = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      const a2 = await signed(
        system,
        { seeder: seederA.account.address, cumulativeBytes: MAX_BYTES, escrowId: 2n },
        strangerKey,
      );
      const total = amountFor(MIB_30, PRICE) + DEPOSIT;
      const tx = escrow.write.redeemBatch(
        [seederA.account.address, [a1.v, a1later.v, a2.v], [a1.sig, a1later.sig, a2.sig]],
        { account: seederA.account },
      );
      await viem.assertions.balancesHaveChanged(tx, [
        { address: seederA.account.address, amount: total },
        { address: escrow.address, amount: -total },
      ]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherRedeemed", [
        1n,
        seederA.account.address,
        MIB_30,
        amountFor(MIB_30, PRICE),
        amountFor(MIB_30, PRICE) - amountFor(MIB_10, PRICE),
      ]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherRedeemed", [
        2n,
        seederA.account.address,
        MAX_BYTES,
        DEPOSIT,
        DEPOSIT,
      ]);
      const receipt = await system.publicClient.getTransactionReceipt({ hash: await tx });
      const redeemed = receipt.logs.filter((log) => log.address.toLowerCase() === escrow.address.toLowerCase());
      assert.equal(redeemed.length, 3);
    });

    it("refuses an empty batch, mismatched lengths and a voucher naming another seeder", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA, seederB } = system;
      const a = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const b = await signed(system, { seeder: seederB.account.address, cumulativeBytes: MIB_10 });
      await viem.assertions.revertWithCustomError(
        escrow.write.redeemBatch([seederA.account.address, [], []]),
        escrow,
        "EmptyBatch",
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeemBatch([seederA.account.address, [a.v, a.v], [a.sig]]),
        escrow,
        "LengthMismatch",
        [2n, 1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeemBatch([seederA.account.address, [a.v, b.v], [a.sig, b.sig]]),
        escrow,
        "SeederMismatch",
        [seederA.account.address, seederB.account.address],
      );
    });

    it("skips a voucher already redeemed by anyone (VoucherSkipped) and pays the newer ones", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA, stranger } = system;
      const a = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      const stale = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      await escrow.write.redeem([stale.v, stale.sig], { account: stranger.account });
      const tx = escrow.write.redeemBatch([seederA.account.address, [stale.v, a.v, a.v], [stale.sig, a.sig, a.sig]]);
      await viem.assertions.balancesHaveChanged(tx, [
        { address: seederA.account.address, amount: amountFor(MIB_30, PRICE) - amountFor(MIB_10, PRICE) },
      ]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherSkipped", [
        1n,
        getAddress(seederA.account.address),
        amountFor(MIB_10, PRICE),
        amountFor(MIB_10, PRICE),
        SKIP.NotNewer,
      ]);
      // The copy of `a` later in the same batch is no longer newer either.
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherSkipped", [
        1n,
        getAddress(seederA.account.address),
        amountFor(MIB_30, PRICE),
        amountFor(MIB_30, PRICE),
        SKIP.NotNewer,
      ]);
      assert.equal((await escrow.read.redeemedBy([1n, seederA.account.address])).amount, amountFor(MIB_30, PRICE));
      // A batch of nothing but stale vouchers pays nothing and does not revert.
      await viem.assertions.balancesHaveChanged(
        escrow.write.redeemBatch([seederA.account.address, [stale.v], [stale.sig]]),
        [{ address: seederA.account.address, amount: 0n }],
      );
    });

    it("pays the seeder for both escrows when the leecher front-runs one voucher of its batch near closesAt", async () => {
      // Finding 2: a leecher that redeems one voucher of a pending batch first made the whole batch revert
      // (VoucherNotNewer); near closesAt the seeder's other vouchers then expired and the leecher got their bytes
      // refunded. Now the batch skips the redeemed voucher and pays the other one.
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, contentId } = system;
      await escrow.write.open([contentId, MAX_BYTES, PRICE, strangerKey.address, EXPONENTIAL], {
        account: leecher.account,
        value: DEPOSIT,
      });
      const v1 = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_70 });
      const v2 = await signed(
        system,
        { seeder: seederA.account.address, cumulativeBytes: MIB_70, escrowId: 2n },
        strangerKey,
      );
      await escrow.write.close([1n], { account: leecher.account });
      await escrow.write.close([2n], { account: leecher.account });
      const { closesAt } = await escrow.read.escrow([1n]); // escrow 2 closes a second later
      await time.setNextBlockTimestamp(closesAt - 2);
      // The leecher's front-run, mined just before the seeder's batch, in the window's last seconds.
      await escrow.write.redeem([v1.v, v1.sig], { account: leecher.account });
      const batch = escrow.write.redeemBatch([seederA.account.address, [v1.v, v2.v], [v1.sig, v2.sig]], {
        account: seederA.account,
      });
      await viem.assertions.balancesHaveChanged(batch, [{ address: seederA.account.address, amount: amountFor(MIB_70, PRICE) }]);
      await viem.assertions.emitWithArgs(batch, escrow, "VoucherSkipped", [
        1n,
        getAddress(seederA.account.address),
        amountFor(MIB_70, PRICE),
        amountFor(MIB_70, PRICE),
        SKIP.NotNewer,
      ]);
      for (const escrowId of [1n, 2n]) {
        assert.equal((await escrow.read.redeemedBy([escrowId, seederA.account.address])).amount, amountFor(MIB_70, PRICE));
      }
      await time.increaseTo(closesAt);
      for (const escrowId of [1n, 2n]) {
        await viem.assertions.balancesHaveChanged(escrow.write.refund([escrowId]), [
          { address: leecher.account.address, amount: DEPOSIT - amountFor(MIB_70, PRICE) },
        ]);
      }
    });

    it("skips a voucher whose escrow is past its window or whose deposit others exhausted", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, seederB, contentId } = system;
      await escrow.write.open([contentId, MAX_BYTES, PRICE, strangerKey.address, EXPONENTIAL], {
        account: leecher.account,
        value: DEPOSIT,
      });
      const expired = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const exhausted = await signed(
        system,
        { seeder: seederA.account.address, cumulativeBytes: MIB_10, escrowId: 2n },
        strangerKey,
      );
      // Another seeder's voucher for the whole content takes all of escrow 2's deposit.
      const all = await signed(system, { seeder: seederB.account.address, cumulativeBytes: MAX_BYTES, escrowId: 2n }, strangerKey);
      await escrow.write.redeem([all.v, all.sig]);
      await closeAndWait(system, 1n);
      const tx = escrow.write.redeemBatch([seederA.account.address, [expired.v, exhausted.v], [expired.sig, exhausted.sig]]);
      await viem.assertions.balancesHaveChanged(tx, [{ address: seederA.account.address, amount: 0n }]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherSkipped", [
        1n,
        getAddress(seederA.account.address),
        amountFor(MIB_10, PRICE),
        0n,
        SKIP.NotRedeemable,
      ]);
      await viem.assertions.emitWithArgs(tx, escrow, "VoucherSkipped", [
        2n,
        getAddress(seederA.account.address),
        amountFor(MIB_10, PRICE),
        0n,
        SKIP.DepositExhausted,
      ]);
      await escrow.write.refund([1n]);
      await viem.assertions.emitWithArgs(
        escrow.write.redeemBatch([seederA.account.address, [expired.v], [expired.sig]]),
        escrow,
        "VoucherSkipped",
        [1n, getAddress(seederA.account.address), amountFor(MIB_10, PRICE), 0n, SKIP.NotRedeemable],
      );
    });

    it("still reverts as a whole for the seeder's own mistakes: a bad signature, an amount over price, an unknown escrow, a waived record", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA, leecher } = system;
      const good = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const forged = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 }, strangerKey);
      const overPriced = await signed(system, {
        seeder: seederA.account.address,
        cumulativeBytes: MIB_30,
        cumulativeAmount: amountFor(MIB_30, PRICE) + 1n,
      });
      const unknown = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10, escrowId: 9n });
      const batchOf = (other: { v: Voucher; sig: Hex }) =>
        escrow.write.redeemBatch([seederA.account.address, [good.v, other.v], [good.sig, other.sig]]);
      await viem.assertions.revertWithCustomErrorWithArgs(batchOf(forged), escrow, "InvalidVoucherSignature", [1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(batchOf(overPriced), escrow, "VoucherOverPrice", [
        amountFor(MIB_30, PRICE) + 1n,
        amountFor(MIB_30, PRICE),
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(batchOf(unknown), escrow, "EscrowNotRedeemable", [9n]);
      assert.equal((await escrow.read.redeemedBy([1n, seederA.account.address])).amount, 0n);
      assert.equal(await escrow.read.remaining([1n]), DEPOSIT);

      await escrow.write.redeem([good.v, good.sig]);
      await escrow.write.close([1n], { account: leecher.account });
      await escrow.write.waiveChallenge([1n], { account: seederA.account });
      const later = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeemBatch([seederA.account.address, [later.v], [later.sig]]),
        escrow,
        "SeederWaived",
        [1n, seederA.account.address],
      );
    });
  });

  describe("release", () => {
    it("lets the leecher pay a checkpoint on-chain, sharing the seeder's record with vouchers", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA } = system;
      const amount = amountFor(MIB_10, PRICE);
      const tx = escrow.write.release([1n, seederA.account.address, MIB_10, PRICE], { account: leecher.account });
      await viem.assertions.balancesHaveChanged(tx, [
        { address: seederA.account.address, amount },
        { address: escrow.address, amount: -amount },
      ]);
      await viem.assertions.emitWithArgs(tx, escrow, "CheckpointReleased", [
        1n,
        seederA.account.address,
        MIB_10,
        amount,
      ]);
      // The release also reserves the seeder's next interval (to 30 MiB) at its price, as redeemAndReserve does.
      assert.deepEqual(await escrow.read.redeemedBy([1n, seederA.account.address]), {
        amount,
        cumulativeBytes: MIB_10,
        waived: false,
        reserved: amountFor(MIB_30, PRICE) - amount,
      });
      // A voucher for 20 MiB pays only what the release did not.
      const twenty = 2n * MIB_10;
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: twenty });
      await viem.assertions.balancesHaveChanged(escrow.write.redeem([v, sig]), [
        { address: seederA.account.address, amount: amountFor(twenty, PRICE) - amount },
      ]);
      // And a release of a checkpoint already covered by a voucher is refused.
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.release([1n, seederA.account.address, MIB_10, PRICE], { account: leecher.account }),
        escrow,
        "CheckpointNotNewer",
        [amount, amountFor(twenty, PRICE)],
      );
      await escrow.write.release([1n, seederA.account.address, MIB_30, PRICE], { account: leecher.account });
      assert.equal((await escrow.read.redeemedBy([1n, seederA.account.address])).amount, amountFor(MIB_30, PRICE));
    });

    it("pays the seeder's own price when it is below the cap, never above the cap: PricePerMiBOutOfRange", async () => {
      const { escrow, leecher, seederA } = await loadFixture(opened);
      const sellerPrice = PRICE / 4n;
      const tx = escrow.write.release([1n, seederA.account.address, MIB_10, sellerPrice], { account: leecher.account });
      await viem.assertions.balancesHaveChanged(tx, [{ address: seederA.account.address, amount: amountFor(MIB_10, sellerPrice) }]);
      await escrow.write.release([1n, seederA.account.address, MIB_30, sellerPrice], { account: leecher.account });
      assert.equal((await escrow.read.redeemedBy([1n, seederA.account.address])).amount, amountFor(MIB_30, sellerPrice));
      // What no seeder reserved: the release reserved the seeder's next interval (to 70 MiB) at its price.
      const reserved = amountFor(MIB_70, sellerPrice) - amountFor(MIB_30, sellerPrice);
      assert.equal((await escrow.read.redeemedBy([1n, seederA.account.address])).reserved, reserved);
      assert.equal(await escrow.read.remaining([1n]), DEPOSIT - amountFor(MIB_30, sellerPrice) - reserved);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.release([1n, seederA.account.address, MIB_70, PRICE + 1n], { account: leecher.account }),
        escrow,
        "PricePerMiBOutOfRange",
        [PRICE + 1n, PRICE],
      );
    });

    it("accepts only checkpoints of the escrow's schedule: NotACheckpoint", async () => {
      const { escrow, leecher, seederA } = await loadFixture(opened);
      for (const bytes of [0n, MIB_10 - 1n, MIB_10 + 1n, 2n * MIB_10, MAX_BYTES - 1n, MAX_BYTES + 1n]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          escrow.write.release([1n, seederA.account.address, bytes, PRICE], { account: leecher.account }),
          escrow,
          "NotACheckpoint",
          [bytes],
        );
      }
      await escrow.write.release([1n, seederA.account.address, MAX_BYTES, PRICE], { account: leecher.account });
      assert.equal(await escrow.read.remaining([1n]), 0n);
    });

    it("is for the leecher only, on a redeemable escrow, to a real seeder", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, stranger } = system;
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.release([1n, seederA.account.address, MIB_10, PRICE], { account: stranger.account }),
        escrow,
        "CallerNotLeecher",
        [stranger.account.address],
      );
      await viem.assertions.revertWithCustomError(
        escrow.write.release([1n, zeroAddress, MIB_10, PRICE], { account: leecher.account }),
        escrow,
        "ZeroSeeder",
      );
      await closeAndWait(system);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.release([1n, seederA.account.address, MIB_10, PRICE], { account: leecher.account }),
        escrow,
        "EscrowNotRedeemable",
        [1n],
      );
    });

    it("refuses a seeder that has waived, and pays what is left of the deposit at most", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, seederB } = system;
      await escrow.write.release([1n, seederA.account.address, MIB_30, PRICE], { account: leecher.account });
      // Seeder A's reservation of its next interval (to 70 MiB) is not for B to take.
      const { reserved } = await escrow.read.redeemedBy([1n, seederA.account.address]);
      const left = DEPOSIT - amountFor(MIB_30, PRICE) - reserved;
      await viem.assertions.emitWithArgs(
        escrow.write.release([1n, seederB.account.address, MIB_70, PRICE], { account: leecher.account }),
        escrow,
        "CheckpointReleased",
        [1n, seederB.account.address, MIB_70, left],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.release([1n, seederB.account.address, MAX_BYTES, PRICE], { account: leecher.account }),
        escrow,
        "DepositExhausted",
        [1n],
      );
      await escrow.write.close([1n], { account: leecher.account });
      await escrow.write.waiveChallenge([1n], { account: seederA.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.release([1n, seederA.account.address, MAX_BYTES, PRICE], { account: leecher.account }),
        escrow,
        "SeederWaived",
        [1n, seederA.account.address],
      );
    });
  });

  describe("upfront mode", () => {
    it("has the single checkpoint maxBytes, released in full at the start", async () => {
      const system = await loadFixture(deployed);
      const { escrow, leecher, seederA, contentId } = system;
      await escrow.write.open([contentId, MAX_BYTES, PRICE, sessionKey.address, UPFRONT], {
        account: leecher.account,
        value: DEPOSIT,
      });
      assert.equal(await escrow.read.checkpointCount([1n]), 1n);
      assert.equal(await escrow.read.checkpointAt([1n, 0n]), MAX_BYTES);
      assert.equal(await escrow.read.nextCheckpoint([1n, 0n]), MAX_BYTES);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.release([1n, seederA.account.address, MIB_10, PRICE], { account: leecher.account }),
        escrow,
        "NotACheckpoint",
        [MIB_10],
      );
      await viem.assertions.balancesHaveChanged(
        escrow.write.release([1n, seederA.account.address, MAX_BYTES, PRICE], { account: leecher.account }),
        [{ address: seederA.account.address, amount: DEPOSIT }],
      );
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MAX_BYTES });
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.redeem([v, sig]), escrow, "VoucherNotNewer", [
        DEPOSIT,
        DEPOSIT,
      ]);
      await closeAndWait(system);
      await viem.assertions.emitWithArgs(escrow.write.refund([1n]), escrow, "EscrowRefunded", [
        1n,
        leecher.account.address,
        0n,
      ]);
    });
  });

  describe("close", () => {
    it("lets the leecher close at any time, with the challenge window in force copied in", async () => {
      const system = await loadFixture(opened);
      const { escrow, owner, leecher } = system;
      const tx = escrow.write.close([1n], { account: leecher.account });
      await tx;
      const closesAt = (await time.latest()) + CHALLENGE_WINDOW;
      await viem.assertions.emitWithArgs(tx, escrow, "EscrowClosing", [1n, closesAt]);
      // A later change of the setting does not move this escrow's deadline.
      await escrow.write.setChallengeWindow([MAX_CHALLENGE_WINDOW], { account: owner.account });
      const e = await escrow.read.escrow([1n]);
      assert.equal(e.status, STATUS.Closing);
      assert.equal(e.closesAt, closesAt);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.close([1n], { account: leecher.account }),
        escrow,
        "EscrowNotOpen",
        [1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.close([2n], { account: leecher.account }),
        escrow,
        "EscrowNotOpen",
        [2n],
      );
    });

    it("keeps redemptions open until closesAt and no longer", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA } = system;
      const first = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const second = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      await escrow.write.close([1n], { account: leecher.account });
      const { closesAt } = await escrow.read.escrow([1n]);
      await time.setNextBlockTimestamp(closesAt - 1);
      await escrow.write.redeem([first.v, first.sig]);
      await time.setNextBlockTimestamp(closesAt);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.redeem([second.v, second.sig]),
        escrow,
        "EscrowNotRedeemable",
        [1n],
      );
    });

    it("lets anyone close an escrow idle for idleExpiry, counting redemptions as activity", async () => {
      const system = await loadFixture(opened);
      const { escrow, stranger, seederA } = system;
      await time.increase(IDLE_EXPIRY / 2);
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      await escrow.write.redeem([v, sig]);
      const idleAt = BigInt((await time.latest()) + IDLE_EXPIRY);
      await time.setNextBlockTimestamp(idleAt - 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.close([1n], { account: stranger.account }),
        escrow,
        "EscrowNotIdle",
        [1n, idleAt],
      );
      await time.setNextBlockTimestamp(idleAt);
      await viem.assertions.emitWithArgs(
        escrow.write.close([1n], { account: stranger.account }),
        escrow,
        "EscrowClosing",
        [1n, Number(idleAt) + CHALLENGE_WINDOW],
      );
      await time.increase(CHALLENGE_WINDOW);
      await viem.assertions.balancesHaveChanged(escrow.write.refund([1n], { account: stranger.account }), [
        { address: system.leecher.account.address, amount: DEPOSIT - amountFor(MIB_10, PRICE) },
      ]);
    });
  });

  describe("refund", () => {
    it("waits for the challenge window, then refunds the rest exactly to the wei, once", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, stranger } = system;
      const { v, sig } = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      await escrow.write.redeem([v, sig]);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.refund([1n]), escrow, "EscrowNotClosing", [1n]);
      await escrow.write.close([1n], { account: leecher.account });
      const { closesAt } = await escrow.read.escrow([1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.refund([1n]), escrow, "ChallengeWindowOpen", [
        1n,
        BigInt(closesAt),
      ]);
      await time.setNextBlockTimestamp(closesAt);
      const rest = DEPOSIT - amountFor(MIB_30, PRICE);
      const tx = escrow.write.refund([1n], { account: stranger.account });
      await viem.assertions.balancesHaveChanged(tx, [
        { address: leecher.account.address, amount: rest },
        { address: escrow.address, amount: -rest },
      ]);
      await viem.assertions.emitWithArgs(tx, escrow, "EscrowRefunded", [1n, leecher.account.address, rest]);
      assert.equal((await escrow.read.escrow([1n])).status, STATUS.Closed);
      assert.equal(await escrow.read.remaining([1n]), 0n);
      assert.equal(await system.publicClient.getBalance({ address: escrow.address }), 0n);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.refund([1n]), escrow, "EscrowNotClosing", [1n]);
    });

    it("gives a leecher that re-enters refund from its receive hook nothing more", async () => {
      const system = await loadFixture(deployed);
      const { escrow, market, contentId, stranger } = system;
      const actor = await viem.deployContract("ReentrantEscrowActor", [escrow.address]);
      await buyLicense(viem, market.address, contentId, actor.address);
      await actor.write.open([contentId, MAX_BYTES, PRICE, sessionKey.address, EXPONENTIAL], { value: DEPOSIT });
      await actor.write.close([1n]);
      await time.increase(CHALLENGE_WINDOW);
      const unused = await signed(system, { seeder: actor.address, cumulativeBytes: MIB_10 });
      await actor.write.arm([ATTACK.Refund, unused.v, unused.sig, 1n]);
      await viem.assertions.balancesHaveChanged(escrow.write.refund([1n], { account: stranger.account }), [
        { address: actor.address, amount: DEPOSIT },
        { address: escrow.address, amount: -DEPOSIT },
      ]);
      assert.equal(await actor.read.paymentsReceived(), 1n);
      assert.equal(await actor.read.reentrySucceeded(), 0n);
      assert.equal(await actor.read.lastReentryError(), REENTRANCY_ERROR_SELECTOR);
    });

    it("fails while the leecher rejects ETH: TransferFailed", async () => {
      const system = await loadFixture(deployed);
      const { escrow, market, contentId } = system;
      const actor = await viem.deployContract("ReentrantEscrowActor", [escrow.address]);
      await buyLicense(viem, market.address, contentId, actor.address);
      await actor.write.open([contentId, MAX_BYTES, PRICE, sessionKey.address, EXPONENTIAL], { value: DEPOSIT });
      await actor.write.close([1n]);
      await time.increase(CHALLENGE_WINDOW);
      const unused = await signed(system, { seeder: actor.address, cumulativeBytes: MIB_10 });
      await actor.write.arm([ATTACK.Reject, unused.v, unused.sig, 1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.refund([1n]), escrow, "TransferFailed", [
        actor.address,
        DEPOSIT,
      ]);
    });
  });

  describe("cooperative close (waiveChallenge)", () => {
    it("refunds at once when every seeder that has redeemed has waived", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, seederB } = system;
      const a = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const b = await signed(system, { seeder: seederB.account.address, cumulativeBytes: MIB_30 });
      await escrow.write.redeem([a.v, a.sig]);
      await escrow.write.redeem([b.v, b.sig]);
      await escrow.write.close([1n], { account: leecher.account });
      const { closesAt } = await escrow.read.escrow([1n]);
      await viem.assertions.emitWithArgs(
        escrow.write.waiveChallenge([1n], { account: seederA.account }),
        escrow,
        "ChallengeWaived",
        [1n, seederA.account.address],
      );
      assert.equal((await escrow.read.redeemedBy([1n, seederA.account.address])).waived, true);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.refund([1n]), escrow, "ChallengeWindowOpen", [
        1n,
        BigInt(closesAt),
      ]);
      await escrow.write.waiveChallenge([1n], { account: seederB.account });
      const e = await escrow.read.escrow([1n]);
      assert.equal(e.seeders, 2);
      assert.equal(e.waivers, 2);
      assert.ok((await time.latest()) < closesAt);
      await viem.assertions.balancesHaveChanged(escrow.write.refund([1n]), [
        { address: leecher.account.address, amount: DEPOSIT - amountFor(MIB_10, PRICE) - amountFor(MIB_30, PRICE) },
      ]);
    });

    it("does not cut the window short when no seeder has redeemed", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher } = system;
      await escrow.write.close([1n], { account: leecher.account });
      const { closesAt } = await escrow.read.escrow([1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.refund([1n]), escrow, "ChallengeWindowOpen", [
        1n,
        BigInt(closesAt),
      ]);
    });

    it("waits again for a seeder that redeems for the first time after the others waived", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, seederB } = system;
      const a = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      const b = await signed(system, { seeder: seederB.account.address, cumulativeBytes: MIB_10 });
      await escrow.write.redeem([a.v, a.sig]);
      await escrow.write.close([1n], { account: leecher.account });
      await escrow.write.waiveChallenge([1n], { account: seederA.account });
      await escrow.write.redeem([b.v, b.sig]);
      const { closesAt } = await escrow.read.escrow([1n]);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.write.refund([1n]), escrow, "ChallengeWindowOpen", [
        1n,
        BigInt(closesAt),
      ]);
    });

    it("is for a closing escrow, by a seeder that has redeemed, once", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, seederB } = system;
      const a = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      await escrow.write.redeem([a.v, a.sig]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.waiveChallenge([1n], { account: seederA.account }),
        escrow,
        "EscrowNotClosing",
        [1n],
      );
      await escrow.write.close([1n], { account: leecher.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.waiveChallenge([1n], { account: seederB.account }),
        escrow,
        "NothingRedeemed",
        [1n, seederB.account.address],
      );
      await escrow.write.waiveChallenge([1n], { account: seederA.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.waiveChallenge([1n], { account: seederA.account }),
        escrow,
        "SeederWaived",
        [1n, seederA.account.address],
      );
    });
  });

  describe("signed close (closeWithSignature, settleClose)", () => {
    const signClose = (system: System, escrowId = 1n, key: LocalAccount = sessionKey) =>
      key.signTypedData({
        domain: escrowDomain(system.chainId, system.escrow.address),
        types: closeTypes,
        primaryType: "Close",
        message: { escrowId },
      });

    it("lets anyone close with the session key's Close, and says whose signature it used", async () => {
      const system = await loadFixture(opened);
      const { escrow, seederA } = system;
      const hash = escrow.write.closeWithSignature([1n, await signClose(system)], { account: seederA.account });
      await viem.assertions.emitWithArgs(hash, escrow, "CloseSignatureUsed", [1n, getAddress(seederA.account.address)]);
      assert.equal((await escrow.read.escrow([1n])).status, 2);
    });

    it("refuses a Close signed by another key", async () => {
      const system = await loadFixture(opened);
      await viem.assertions.revertWithCustomErrorWithArgs(
        system.escrow.write.closeWithSignature([1n, await signClose(system, 1n, strangerKey)]),
        system.escrow,
        "InvalidCloseSignature",
        [1n],
      );
    });

    it("lets the seeder redeem its last voucher, close, waive and refund the leecher in one transaction", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA } = system;
      const first = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10 });
      await escrow.write.redeem([first.v, first.sig]);
      const last = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      const close = await signClose(system);
      await viem.assertions.balancesHaveChanged(
        escrow.write.settleClose([last.v, last.sig, close], { account: seederA.account }),
        [{ address: leecher.account.address, amount: DEPOSIT - amountFor(MIB_30, PRICE) }],
      );
      assert.equal((await escrow.read.escrow([1n])).status, 3);
      assert.equal((await escrow.read.redeemedBy([1n, seederA.account.address])).amount, amountFor(MIB_30, PRICE));
    });
  });

  describe("multi-source", () => {
    it("pays two seeders from one deposit, each its own, never more than the deposit in total", async () => {
      const system = await loadFixture(opened);
      const { escrow, leecher, seederA, seederB } = system;
      // A served 0-30 MiB then 30-70 MiB; B served 50 MiB in parallel. Together they exceed the deposit.
      const a30 = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_30 });
      const b50 = await signed(system, { seeder: seederB.account.address, cumulativeBytes: 5n * MIB_10 });
      const a70 = await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_70 });
      await viem.assertions.balancesHaveChanged(escrow.write.redeem([a30.v, a30.sig]), [
        { address: seederA.account.address, amount: amountFor(MIB_30, PRICE) },
      ]);
      await viem.assertions.balancesHaveChanged(escrow.write.redeem([b50.v, b50.sig]), [
        { address: seederB.account.address, amount: amountFor(5n * MIB_10, PRICE) },
      ]);
      const left = DEPOSIT - amountFor(MIB_30, PRICE) - amountFor(5n * MIB_10, PRICE);
      assert.ok(left < amountFor(MIB_70, PRICE) - amountFor(MIB_30, PRICE));
      await viem.assertions.balancesHaveChanged(escrow.write.redeem([a70.v, a70.sig]), [
        { address: seederA.account.address, amount: left },
      ]);
      const paidA = (await escrow.read.redeemedBy([1n, seederA.account.address])).amount;
      const paidB = (await escrow.read.redeemedBy([1n, seederB.account.address])).amount;
      assert.equal(paidA + paidB, DEPOSIT);
      assert.equal(await escrow.read.remaining([1n]), 0n);
      await closeAndWait(system);
      await viem.assertions.emitWithArgs(escrow.write.refund([1n]), escrow, "EscrowRefunded", [
        1n,
        leecher.account.address,
        0n,
      ]);
    });
  });

  describe("admin", () => {
    it("sets the challenge window within bounds, owner only", async () => {
      const { escrow, owner, stranger } = await loadFixture(deployed);
      await viem.assertions.emitWithArgs(
        escrow.write.setChallengeWindow([MIN_CHALLENGE_WINDOW], { account: owner.account }),
        escrow,
        "ChallengeWindowUpdated",
        [CHALLENGE_WINDOW, MIN_CHALLENGE_WINDOW],
      );
      assert.equal(await escrow.read.challengeWindow(), MIN_CHALLENGE_WINDOW);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.setChallengeWindow([MAX_CHALLENGE_WINDOW + 1], { account: owner.account }),
        escrow,
        "ChallengeWindowOutOfRange",
        [MAX_CHALLENGE_WINDOW + 1, MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.setChallengeWindow([CHALLENGE_WINDOW], { account: stranger.account }),
        escrow,
        "OwnableUnauthorizedAccount",
        [stranger.account.address],
      );
    });

    it("sets the idle expiry within bounds, owner only", async () => {
      const { escrow, owner, stranger } = await loadFixture(deployed);
      await viem.assertions.emitWithArgs(
        escrow.write.setIdleExpiry([MAX_IDLE_EXPIRY], { account: owner.account }),
        escrow,
        "IdleExpiryUpdated",
        [IDLE_EXPIRY, MAX_IDLE_EXPIRY],
      );
      assert.equal(await escrow.read.idleExpiry(), MAX_IDLE_EXPIRY);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.setIdleExpiry([MIN_IDLE_EXPIRY - 1], { account: owner.account }),
        escrow,
        "IdleExpiryOutOfRange",
        [MIN_IDLE_EXPIRY - 1, MIN_IDLE_EXPIRY, MAX_IDLE_EXPIRY],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.write.setIdleExpiry([IDLE_EXPIRY], { account: stranger.account }),
        escrow,
        "OwnableUnauthorizedAccount",
        [stranger.account.address],
      );
    });

    it("pauses and unpauses, owner only", async () => {
      const { escrow, owner, stranger } = await loadFixture(deployed);
      for (const call of [escrow.write.pause, escrow.write.unpause]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          call({ account: stranger.account }),
          escrow,
          "OwnableUnauthorizedAccount",
          [stranger.account.address],
        );
      }
      await escrow.write.pause({ account: owner.account });
      assert.equal(await escrow.read.paused(), true);
      await viem.assertions.revertWithCustomError(
        escrow.write.pause({ account: owner.account }),
        escrow,
        "EnforcedPause",
      );
      await escrow.write.unpause({ account: owner.account });
      await viem.assertions.revertWithCustomError(
        escrow.write.unpause({ account: owner.account }),
        escrow,
        "ExpectedPause",
      );
    });

    it("transfers ownership in two steps", async () => {
      const { escrow, owner, stranger } = await loadFixture(deployed);
      await viem.assertions.emitWithArgs(
        escrow.write.transferOwnership([stranger.account.address], { account: owner.account }),
        escrow,
        "OwnershipTransferStarted",
        [owner.account.address, stranger.account.address],
      );
      assert.equal((await escrow.read.owner()).toLowerCase(), owner.account.address.toLowerCase());
      await escrow.write.acceptOwnership({ account: stranger.account });
      assert.equal((await escrow.read.owner()).toLowerCase(), stranger.account.address.toLowerCase());
    });
  });

  describe("views", () => {
    it("answers for unknown escrows without inventing a schedule", async () => {
      const { escrow, seederA } = await loadFixture(deployed);
      assert.equal((await escrow.read.escrow([5n])).status, STATUS.None);
      assert.equal(await escrow.read.remaining([5n]), 0n);
      assert.deepEqual(await escrow.read.redeemedBy([5n, seederA.account.address]), {
        amount: 0n,
        cumulativeBytes: 0n,
        waived: false,
        reserved: 0n,
      });
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.read.checkpointCount([5n]), escrow, "EscrowNotFound", [
        5n,
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.read.checkpointAt([5n, 0n]),
        escrow,
        "EscrowNotFound",
        [5n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.read.nextCheckpoint([5n, 0n]),
        escrow,
        "EscrowNotFound",
        [5n],
      );
    });

    it("gives the escrow's schedule: 10, 30, 70 MiB then the end", async () => {
      const { escrow } = await loadFixture(opened);
      assert.equal(await escrow.read.checkpointCount([1n]), 4n);
      assert.deepEqual(await Promise.all([0n, 1n, 2n, 3n].map((i) => escrow.read.checkpointAt([1n, i]))), [
        MIB_10,
        MIB_30,
        MIB_70,
        MAX_BYTES,
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        escrow.read.checkpointAt([1n, 4n]),
        escrow,
        "CheckpointIndexOutOfRange",
        [4n, 4n],
      );
      assert.equal(await escrow.read.nextCheckpoint([1n, 0n]), MIB_10);
      assert.equal(await escrow.read.nextCheckpoint([1n, MIB_10]), MIB_30);
      assert.equal(await escrow.read.nextCheckpoint([1n, MIB_70]), MAX_BYTES);
      assert.equal(await escrow.read.nextCheckpoint([1n, MAX_BYTES + 5n]), MAX_BYTES);
    });
  });

  describe("reservations (sdk and contract agree)", () => {
    it("reserves what the sdk's reservationFor says, for exact and inexact payments", async () => {
      const system = await loadFixture(opened);
      const { escrow } = system;
      const cases: [bigint, bigint][] = [
        [MIB_10, amountFor(MIB_10, PRICE)],
        [MIB_10, amountFor(MIB_10, PRICE / 3n)],
        [MIB_30 + 12_345n, amountFor(MIB_30 + 12_345n, PRICE) - 7n],
        [MIB_10 - 1n, 1n],
      ];
      for (const [i, [bytes, amount]] of cases.entries()) {
        const seeder = getAddress(`0x${(0x5eed10 + i).toString(16).padStart(40, "0")}`);
        const { v, sig } = await signed(system, { seeder, cumulativeBytes: bytes, cumulativeAmount: amount });
        const { result } = await escrow.simulate.redeemAndReserve([v, sig]);
        const until = nextCheckpoint(EXPONENTIAL, bytes, MAX_BYTES);
        assert.equal(result, reservationFor(bytes, amount, until, PRICE), `case ${i}`);
      }
    });
  });

  describe("checkpoint schedule (sdk)", () => {
    it("is 10, 30, 70, 150 MiB ... capped at the total, or the total alone upfront", () => {
      assert.deepEqual(checkpoints(EXPONENTIAL, 100n * MIB), [10n * MIB, 30n * MIB, 70n * MIB, 100n * MIB]);
      assert.deepEqual(checkpoints(EXPONENTIAL, 150n * MIB), [10n * MIB, 30n * MIB, 70n * MIB, 150n * MIB]);
      assert.deepEqual(checkpoints(EXPONENTIAL, 5n * MIB), [5n * MIB]);
      assert.deepEqual(checkpoints(UPFRONT, 100n * MIB), [100n * MIB]);
      assert.deepEqual(checkpoints(EXPONENTIAL, 0n), []);
      assert.equal(nextCheckpoint(EXPONENTIAL, 10n * MIB - 1n, 100n * MIB), 10n * MIB);
      assert.equal(nextCheckpoint(EXPONENTIAL, 10n * MIB, 100n * MIB), 30n * MIB);
      assert.equal(isCheckpoint(EXPONENTIAL, 30n * MIB, 100n * MIB), true);
      assert.equal(isCheckpoint(EXPONENTIAL, 20n * MIB, 100n * MIB), false);
      assert.equal(amountFor(MIB + 1n, 3n), 3n); // rounds down, in the leecher's favour
    });

    it("rejects values a uint256 cannot hold and unknown modes", () => {
      assert.throws(() => checkpointCount(EXPONENTIAL, -1n), RangeError);
      assert.throws(() => nextCheckpoint(EXPONENTIAL, 0n, 1n << 256n), RangeError);
      assert.throws(() => amountFor(1n << 255n, 2n), RangeError);
      assert.equal(amountFor((1n << 255n) - 1n, 2n), ((1n << 256n) - 2n) / MIB);
      assert.throws(() => checkpointAt(EXPONENTIAL, 4n, 100n * MIB), RangeError);
      assert.throws(() => checkpoints(2 as CheckpointMode, 1n), RangeError);
    });
  });

  describe("schedule agreement: sdk vs contract", () => {
    it("gives the same checkpoints, next checkpoints and checkpoint set for many sizes, both modes", async () => {
      const system = await loadFixture(deployed);
      const { escrow, market, leecher, seederA, publisher } = system;
      const UINT64_MAX = (1n << 64n) - 1n;
      const bigContent = await registerContent(viem, market.address, publisher.account.address, UINT64_MAX, "big");
      await buyLicense(viem, market.address, bigContent, leecher.account.address);
      const GIB = 1024n * MIB;
      const boundaries = [1n, 3n, 7n, 15n, 31n].map((m) => m * FIRST_CHECKPOINT);
      const totals = new Set<bigint>([
        1n,
        2n,
        MIB - 1n,
        MIB,
        5n * MIB,
        5n * GIB - 1n,
        5n * GIB,
        5n * GIB + 1n,
        123_456_789_012n,
        UINT64_MAX,
      ]);
      for (const b of boundaries) for (const d of [-1n, 0n, 1n]) totals.add(b + d);
      // One wei per byte: every checkpoint has a non-zero price, so release fails only for non-checkpoints.
      const price = MIB;
      let id = 0n;
      for (const mode of [EXPONENTIAL, UPFRONT]) {
        for (const total of totals) {
          await escrow.write.open([bigContent, total, price, sessionKey.address, mode], {
            account: leecher.account,
            value: amountFor(total, price),
          });
          id += 1n;
          const expected = checkpoints(mode, total);
          assert.equal(await escrow.read.checkpointCount([id]), BigInt(expected.length), `count ${mode} ${total}`);
          for (let i = 0; i < expected.length; i++) {
            assert.equal(
              await escrow.read.checkpointAt([id, BigInt(i)]),
              expected[i],
              `checkpointAt ${mode} ${total} ${i}`,
            );
            assert.equal(checkpointAt(mode, BigInt(i), total), expected[i]);
          }
          const probes = new Set<bigint>([0n, 1n, total - 1n, total, total + 1n, MIB, FIRST_CHECKPOINT * 2n]);
          for (const c of [...expected, ...boundaries]) for (const d of [-1n, 0n, 1n]) probes.add(c + d);
          for (const served of probes) {
            if (served < 0n) continue;
            assert.equal(
              await escrow.read.nextCheckpoint([id, served]),
              nextCheckpoint(mode, served, total),
              `nextCheckpoint ${mode} ${total} ${served}`,
            );
            const release = escrow.simulate.release([id, seederA.account.address, served, price], {
              account: leecher.account.address,
            });
            if (isCheckpoint(mode, served, total)) {
              await release;
            } else {
              await viem.assertions.revertWithCustomErrorWithArgs(release, escrow, "NotACheckpoint", [served]);
            }
          }
        }
      }
    });
  });

  describe("gas", () => {
    it("stays within the targets: 75k for one redemption, 45k per redemption in a batch of 10", async () => {
      const system = await loadFixture(deployed);
      const { escrow, leecher, seederA, contentId, publicClient } = system;
      // Each escrow has its own session key, and each voucher is the seeder's first of the escrow (the costlier case).
      const vouchers: { v: Voucher; sig: Hex }[] = [];
      for (let i = 1; i <= BATCH_SIZE + 1; i++) {
        const key = privateKeyToAccount(generatePrivateKey());
        await escrow.write.open([contentId, MAX_BYTES, PRICE, key.address, EXPONENTIAL], {
          account: leecher.account,
          value: DEPOSIT,
        });
        vouchers.push(
          await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10, escrowId: BigInt(i) }, key),
        );
      }
      const [single, ...batch] = vouchers;
      const singleHash = await escrow.write.redeem([single.v, single.sig], { account: seederA.account });
      const singleGas = (await publicClient.waitForTransactionReceipt({ hash: singleHash })).gasUsed;
      const batchHash = await escrow.write.redeemBatch(
        [seederA.account.address, batch.map((b) => b.v), batch.map((b) => b.sig)],
        { account: seederA.account },
      );
      const batchGas = (await publicClient.waitForTransactionReceipt({ hash: batchHash })).gasUsed;
      assert.ok(singleGas <= SINGLE_REDEMPTION_GAS_TARGET, `single redemption used ${singleGas}`);
      assert.ok(
        batchGas <= BATCH_REDEMPTION_GAS_TARGET * BigInt(BATCH_SIZE),
        `batch of ${BATCH_SIZE} used ${batchGas}`,
      );
    });
  });
});
