/** CheckpointEscrow: deployment, open. Set-up in `helpers/escrowFixtures.ts`. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, hashTypedData, keccak256, toHex, zeroAddress, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { closeTypes, escrowDomain, voucherTypes, type Voucher } from "@web3torrent/sdk/eip712";
import { amountFor } from "@web3torrent/sdk/checkpointSchedule";
import { CHALLENGE_WINDOW, CONTENT_SIZE, IDLE_EXPIRY } from "./helpers/escrowSetup.ts";
import { delegateKey } from "./helpers/eip7702.ts";
import {
  viem,
  loadFixture,
  time,
  EXPONENTIAL,
  UPFRONT,
  STATUS,
  PRICE,
  MAX_BYTES,
  DEPOSIT,
  MIB_10,
  MIB_30,
  MIB_70,
  MAX_PRICE_PER_MIB,
  MIN_CHALLENGE_WINDOW,
  MAX_CHALLENGE_WINDOW,
  MIN_IDLE_EXPIRY,
  MAX_IDLE_EXPIRY,
  sessionKey,
  strangerKey,
  deployed,
  opened,
  openEscrow,
  signed,
} from "./helpers/escrowFixtures.ts";

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
      await viem.assertions.emitWithArgs(Promise.resolve(deploymentTransaction.hash), contract, "ChallengeWindowUpdated", [
        0,
        CHALLENGE_WINDOW,
      ]);
      await viem.assertions.emitWithArgs(Promise.resolve(deploymentTransaction.hash), contract, "IdleExpiryUpdated", [0, IDLE_EXPIRY]);
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
        hashTypedData({
          domain: escrowDomain(chainId, escrow.address),
          types: closeTypes,
          primaryType: "Close",
          message: { escrowId: 7n },
        }),
      );
    });

    it("rejects a zero market and settings out of range", async () => {
      const { owner, market, escrow } = await loadFixture(deployed);
      const deploy = (marketAddress: Address, window: number, expiry: number) =>
        viem.deployContract("CheckpointEscrow", [owner.account.address, marketAddress, window, expiry]);
      await viem.assertions.revertWithCustomError(deploy(zeroAddress, CHALLENGE_WINDOW, IDLE_EXPIRY), escrow, "ZeroMarket");
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
      const system = await loadFixture(deployed);
      const { escrow, leecher, contentId } = system;
      const tx = openEscrow(system);
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
      const system = await loadFixture(opened);
      const { escrow, leecher } = system;
      const extra = 777n;
      await viem.assertions.balancesHaveChanged(
        openEscrow(system, { maxBytes: MIB_10, mode: UPFRONT, value: amountFor(MIB_10, PRICE) + extra }),
        [
          { address: leecher.account.address, amount: -(amountFor(MIB_10, PRICE) + extra) },
          { address: escrow.address, amount: amountFor(MIB_10, PRICE) + extra },
        ],
      );
      assert.equal(await escrow.read.escrowCount(), 2n);
      assert.equal((await escrow.read.escrow([2n])).deposit, amountFor(MIB_10, PRICE) + extra);
    });

    it("requires a license of the content", async () => {
      const system = await loadFixture(deployed);
      const { escrow, stranger, contentId } = system;
      await viem.assertions.revertWithCustomErrorWithArgs(openEscrow(system, { from: stranger }), escrow, "NoLicense", [
        stranger.account.address,
        contentId,
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        openEscrow(system, { contentId: contentId + 1n, from: stranger }),
        escrow,
        "NoLicense",
        [stranger.account.address, contentId + 1n],
      );
    });

    it("requires 0 < maxBytes <= the content size", async () => {
      const system = await loadFixture(deployed);
      const { escrow } = system;
      for (const maxBytes of [0n, CONTENT_SIZE + 1n]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          openEscrow(system, { maxBytes, value: DEPOSIT * 2n }),
          escrow,
          "MaxBytesOutOfRange",
          [maxBytes, CONTENT_SIZE],
        );
      }
    });

    it("requires 0 < pricePerMiB <= MAX_PRICE_PER_MIB", async () => {
      const system = await loadFixture(deployed);
      const { escrow } = system;
      assert.equal(await escrow.read.MAX_PRICE_PER_MIB(), MAX_PRICE_PER_MIB);
      for (const price of [0n, MAX_PRICE_PER_MIB + 1n]) {
        await viem.assertions.revertWithCustomErrorWithArgs(openEscrow(system, { maxBytes: 1n, price }), escrow, "PricePerMiBOutOfRange", [
          price,
          MAX_PRICE_PER_MIB,
        ]);
      }
    });

    it("requires a session key", async () => {
      const system = await loadFixture(deployed);
      const { escrow } = system;
      await viem.assertions.revertWithCustomError(openEscrow(system, { key: zeroAddress }), escrow, "ZeroSessionKey");
    });

    it("refuses a contract as session key: a key its leecher could switch off after being served (SessionKeyHasCode)", async () => {
      // Attack (a): a session key whose ERC-1271 answer the leecher turns to "invalid" once the bytes are served
      // would void every voucher the seeders hold, and the refund would return the whole deposit. Refused at open.
      const system = await loadFixture(deployed);
      const { escrow } = system;
      for (const contract of ["TestRevocableSessionKey", "TestERC1271Wallet"] as const) {
        const key = await viem.deployContract(contract, [sessionKey.address]);
        await viem.assertions.revertWithCustomErrorWithArgs(openEscrow(system, { key: key.address }), escrow, "SessionKeyHasCode", [
          getAddress(key.address),
        ]);
      }
    });

    it("refuses a session key whose address is already delegated to code (EIP-7702)", async () => {
      const system = await loadFixture(deployed);
      const { escrow, leecher } = system;
      const key = privateKeyToAccount(keccak256(toHex("w3t test: escrow key delegated before open")));
      const delegate = await viem.deployContract("TestRevocableSessionKey", [key.address]);
      await delegateKey(viem, key, delegate.address, leecher);
      await viem.assertions.revertWithCustomErrorWithArgs(openEscrow(system, { key: key.address }), escrow, "SessionKeyHasCode", [
        key.address,
      ]);
    });

    it("requires a deposit covering maxBytes at pricePerMiB", async () => {
      const system = await loadFixture(deployed);
      const { escrow } = system;
      await viem.assertions.revertWithCustomErrorWithArgs(openEscrow(system, { value: DEPOSIT - 1n }), escrow, "InsufficientDeposit", [
        DEPOSIT,
        DEPOSIT - 1n,
      ]);
    });

    it("is blocked while paused, and only open is", async () => {
      const system = await loadFixture(opened);
      const { escrow, owner, leecher, seederA } = system;
      await viem.assertions.emitWithArgs(escrow.write.pause({ account: owner.account }), escrow, "Paused", [owner.account.address]);
      await viem.assertions.revertWithCustomError(openEscrow(system), escrow, "EnforcedPause");
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
      await viem.assertions.emitWithArgs(escrow.write.unpause({ account: owner.account }), escrow, "Unpaused", [owner.account.address]);
      await openEscrow(system);
    });
  });
});
