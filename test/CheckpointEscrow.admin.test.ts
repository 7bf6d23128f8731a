/** CheckpointEscrow: admin, views. Set-up in `helpers/escrowFixtures.ts`. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHALLENGE_WINDOW, IDLE_EXPIRY } from "./helpers/escrowSetup.ts";
import {
  viem,
  loadFixture,
  STATUS,
  MAX_BYTES,
  MIB_10,
  MIB_30,
  MIB_70,
  MIN_CHALLENGE_WINDOW,
  MAX_CHALLENGE_WINDOW,
  MIN_IDLE_EXPIRY,
  MAX_IDLE_EXPIRY,
  deployed,
  opened,
} from "./helpers/escrowFixtures.ts";

describe("CheckpointEscrow", () => {
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
        await viem.assertions.revertWithCustomErrorWithArgs(call({ account: stranger.account }), escrow, "OwnableUnauthorizedAccount", [
          stranger.account.address,
        ]);
      }
      await escrow.write.pause({ account: owner.account });
      assert.equal(await escrow.read.paused(), true);
      await viem.assertions.revertWithCustomError(escrow.write.pause({ account: owner.account }), escrow, "EnforcedPause");
      await escrow.write.unpause({ account: owner.account });
      await viem.assertions.revertWithCustomError(escrow.write.unpause({ account: owner.account }), escrow, "ExpectedPause");
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
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.read.checkpointCount([5n]), escrow, "EscrowNotFound", [5n]);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.read.checkpointAt([5n, 0n]), escrow, "EscrowNotFound", [5n]);
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.read.nextCheckpoint([5n, 0n]), escrow, "EscrowNotFound", [5n]);
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
      await viem.assertions.revertWithCustomErrorWithArgs(escrow.read.checkpointAt([1n, 4n]), escrow, "CheckpointIndexOutOfRange", [
        4n,
        4n,
      ]);
      assert.equal(await escrow.read.nextCheckpoint([1n, 0n]), MIB_10);
      assert.equal(await escrow.read.nextCheckpoint([1n, MIB_10]), MIB_30);
      assert.equal(await escrow.read.nextCheckpoint([1n, MIB_70]), MAX_BYTES);
      assert.equal(await escrow.read.nextCheckpoint([1n, MAX_BYTES + 5n]), MAX_BYTES);
    });
  });
});
