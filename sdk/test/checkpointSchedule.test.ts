/** The checkpoint schedule's arithmetic, as the escrow contract computes it (`contracts/libraries/CheckpointSchedule.sol`). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CheckpointMode,
  MIB,
  amountFor,
  checkpointAt,
  checkpointCount,
  checkpoints,
  isCheckpoint,
  nextCheckpoint,
} from "../src/checkpointSchedule.ts";

const EXPONENTIAL = CheckpointMode.Exponential;
const UPFRONT = CheckpointMode.Upfront;

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
