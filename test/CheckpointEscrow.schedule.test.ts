/**
 * CheckpointEscrow: reservations (sdk and contract agree), schedule agreement: sdk vs contract, gas. Set-up in
 * `helpers/escrowFixtures.ts`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { type Voucher } from "@web3torrent/sdk/eip712";
import {
  FIRST_CHECKPOINT,
  MIB,
  amountFor,
  checkpointAt,
  checkpoints,
  isCheckpoint,
  nextCheckpoint,
  reservationFor,
} from "@web3torrent/sdk/checkpointSchedule";
import { buyLicense, registerContent } from "./helpers/escrowSetup.ts";
import {
  viem,
  loadFixture,
  EXPONENTIAL,
  UPFRONT,
  PRICE,
  MAX_BYTES,
  MIB_10,
  MIB_30,
  SINGLE_REDEMPTION_GAS_TARGET,
  BATCH_REDEMPTION_GAS_TARGET,
  BATCH_SIZE,
  deployed,
  opened,
  openEscrow,
  signed,
} from "./helpers/escrowFixtures.ts";

describe("CheckpointEscrow", () => {
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
          await openEscrow(system, { contentId: bigContent, maxBytes: total, price, mode, value: amountFor(total, price) });
          id += 1n;
          const expected = checkpoints(mode, total);
          assert.equal(await escrow.read.checkpointCount([id]), BigInt(expected.length), `count ${mode} ${total}`);
          for (let i = 0; i < expected.length; i++) {
            assert.equal(await escrow.read.checkpointAt([id, BigInt(i)]), expected[i], `checkpointAt ${mode} ${total} ${i}`);
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
      const { escrow, seederA, publicClient } = system;
      // Each escrow has its own session key, and each voucher is the seeder's first of the escrow (the costlier case).
      const vouchers: { v: Voucher; sig: Hex }[] = [];
      for (let i = 1; i <= BATCH_SIZE + 1; i++) {
        const key = privateKeyToAccount(generatePrivateKey());
        await openEscrow(system, { key: key.address });
        vouchers.push(await signed(system, { seeder: seederA.account.address, cumulativeBytes: MIB_10, escrowId: BigInt(i) }, key));
      }
      const [single, ...batch] = vouchers;
      const singleHash = await escrow.write.redeem([single.v, single.sig], { account: seederA.account });
      const singleGas = (await publicClient.waitForTransactionReceipt({ hash: singleHash })).gasUsed;
      const batchHash = await escrow.write.redeemBatch([seederA.account.address, batch.map((b) => b.v), batch.map((b) => b.sig)], {
        account: seederA.account,
      });
      const batchGas = (await publicClient.waitForTransactionReceipt({ hash: batchHash })).gasUsed;
      assert.ok(singleGas <= SINGLE_REDEMPTION_GAS_TARGET, `single redemption used ${singleGas}`);
      assert.ok(batchGas <= BATCH_REDEMPTION_GAS_TARGET * BigInt(BATCH_SIZE), `batch of ${BATCH_SIZE} used ${batchGas}`);
    });
  });
});
