// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "../utils/Test.sol";
import {CheckpointSchedule} from "../../contracts/libraries/CheckpointSchedule.sol";

/// @notice Fuzz tests of the checkpoint schedule and its prices (`CheckpointSchedule`), used by the escrow.
contract CheckpointScheduleTest is Test {
    uint256 internal constant MIB = CheckpointSchedule.MIB;
    uint256 internal constant FIRST = CheckpointSchedule.FIRST_CHECKPOINT;

    /// @notice Checkpoints strictly increase, the last is the total, and each is a checkpoint by `isCheckpoint`.
    function testFuzz_Schedule_MonotoneAndEndsAtTotal(uint256 total, bool upfront) public pure {
        total = bound(total, 1, type(uint256).max);
        CheckpointSchedule.Mode mode = upfront ? CheckpointSchedule.Mode.Upfront : CheckpointSchedule.Mode.Exponential;
        uint256 count = CheckpointSchedule.checkpointCount(mode, total);
        assertTrue(count >= 1, "at least one checkpoint");
        if (upfront) assertEq(count, 1, "upfront has one checkpoint");
        uint256 previous;
        for (uint256 i; i < count; ++i) {
            uint256 c = CheckpointSchedule.checkpointAt(mode, i, total);
            assertTrue(c > previous, "strictly increasing");
            assertTrue(CheckpointSchedule.isCheckpoint(mode, c, total), "listed checkpoints are checkpoints");
            assertEq(CheckpointSchedule.nextCheckpoint(mode, previous, total), c, "next after the previous");
            assertEq(CheckpointSchedule.nextCheckpoint(mode, c - 1, total), c, "next just below is this one");
            previous = c;
        }
        assertEq(previous, total, "the last checkpoint is the total");
        assertEq(CheckpointSchedule.nextCheckpoint(mode, total, total), total, "next at the end is the end");
    }

    /// @notice Exponential: the first checkpoint is FIRST_CHECKPOINT (or the total, if smaller), each interval is
    /// twice the previous one, and only the last may be shorter (never longer than twice the previous).
    function testFuzz_Schedule_DoublingIntervals(uint256 total) public pure {
        total = bound(total, 1, type(uint256).max);
        CheckpointSchedule.Mode mode = CheckpointSchedule.Mode.Exponential;
        uint256 count = CheckpointSchedule.checkpointCount(mode, total);
        uint256 first = CheckpointSchedule.checkpointAt(mode, 0, total);
        assertEq(first, total < FIRST ? total : FIRST, "first checkpoint");
        uint256 previousInterval = first;
        for (uint256 i = 1; i < count; ++i) {
            uint256 interval =
                CheckpointSchedule.checkpointAt(mode, i, total) - CheckpointSchedule.checkpointAt(mode, i - 1, total);
            if (i < count - 1) assertEq(interval, 2 * previousInterval, "interval doubles");
            else assertLe(interval, 2 * previousInterval, "last interval at most double");
            previousInterval = interval;
        }
    }

    /// @notice `nextCheckpoint(served)` is the smallest checkpoint above `served`: no byte count in between is one.
    function testFuzz_Schedule_NextIsSmallestAbove(uint256 total, uint256 served, uint256 probe, bool upfront)
        public
        pure
    {
        total = bound(total, 1, type(uint64).max);
        served = bound(served, 0, total - 1);
        CheckpointSchedule.Mode mode = upfront ? CheckpointSchedule.Mode.Upfront : CheckpointSchedule.Mode.Exponential;
        uint256 next = CheckpointSchedule.nextCheckpoint(mode, served, total);
        assertTrue(next > served && next <= total, "above served, within total");
        assertTrue(CheckpointSchedule.isCheckpoint(mode, next, total), "is a checkpoint");
        if (next - served > 1) {
            probe = bound(probe, served + 1, next - 1);
            assertTrue(!CheckpointSchedule.isCheckpoint(mode, probe, total), "nothing in between");
        }
    }

    /// @notice The price rounds down: the leecher never pays for a fraction of a wei, and a longer download never
    /// costs less.
    function testFuzz_AmountFor_FloorAndMonotone(uint64 a, uint64 b, uint96 price) public pure {
        (uint256 lo, uint256 hi) = a < b ? (uint256(a), uint256(b)) : (uint256(b), uint256(a));
        uint256 amount = CheckpointSchedule.amountFor(lo, price);
        assertLe(amount * MIB, lo * price, "rounded down");
        assertTrue(lo * price - amount * MIB < MIB, "by less than one wei");
        assertLe(amount, CheckpointSchedule.amountFor(hi, price), "monotone");
    }

    /// @notice Whatever its price (up to the cap) and whatever the leecher paid it (at least that price, at most the
    /// cap), a seeder's reservation covers its next voucher: the price of `until` at its price minus what it was paid.
    function testFuzz_ReservationFor_CoversTheNextVoucherAtTheSeedersPrice(
        uint96 cap,
        uint96 price,
        uint64 paidBytes,
        uint64 until,
        uint256 overpaid
    ) public pure {
        cap = uint96(bound(cap, 1, type(uint96).max));
        price = uint96(bound(price, 1, cap));
        paidBytes = uint64(bound(paidBytes, 1, type(uint64).max - 1));
        until = uint64(bound(until, paidBytes + 1, type(uint64).max));
        uint256 owedNow = CheckpointSchedule.amountFor(paidBytes, price);
        uint256 paid = bound(overpaid, owedNow, CheckpointSchedule.amountFor(paidBytes, cap));
        uint256 owedNext = CheckpointSchedule.amountFor(until, price);
        uint256 reservation = CheckpointSchedule.reservationFor(paidBytes, paid, until, cap);
        assertGe(paid + reservation, owedNext, "the reservation covers the next voucher");
    }
}
