// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title CheckpointSchedule
/// @notice The byte counts at which a download's payment falls due, as one pure function of the mode and the total.
/// The sdk mirrors it exactly (`sdk/src/checkpointSchedule.ts`); the seeder stops at each checkpoint and asks for a
/// voucher, the escrow accepts on-chain releases only at checkpoints.
///
/// - Exponential: checkpoints at `FIRST_CHECKPOINT * (2^(k+1) - 1)` cumulative bytes (10, 30, 70, 150 MiB, ...;
///   each interval twice the previous) that lie below `total`, then `total` itself.
/// - Upfront: one checkpoint, `total`, due before any byte is sent.
///
/// A `total` of zero has no checkpoints. No function overflows for any `uint256` input except `amountFor`, which
/// reverts when `cumulativeBytes * pricePerMiB` does not fit in 256 bits (never for an escrow: uint64 bytes times a
/// uint96 price).
library CheckpointSchedule {
    /// @notice How a download is paid: in doubling checkpoints, or all at the start.
    enum Mode {
        Exponential,
        Upfront
    }

    /// @notice Bytes in one MiB, the unit prices are quoted in.
    uint256 internal constant MIB = 1 << 20;

    /// @notice Cumulative bytes of the first exponential checkpoint (and the length of the first interval).
    uint256 internal constant FIRST_CHECKPOINT = 10 * MIB;

    /// @notice `index` is not below the schedule's `count` of checkpoints.
    error CheckpointIndexOutOfRange(uint256 index, uint256 count);

    /// @notice The number of checkpoints of a download of `total` bytes.
    function checkpointCount(Mode mode, uint256 total) internal pure returns (uint256) {
        if (total == 0) return 0;
        if (mode == Mode.Upfront) return 1;
        // FIRST * (2^(k+1) - 1) < total  <=>  2^(k+1) <= q + 1 with q = (total - 1) / FIRST, so there are
        // log2(q + 1) exponential checkpoints below total, and total itself is the last one.
        return Math.log2((total - 1) / FIRST_CHECKPOINT + 1) + 1;
    }

    /// @notice The cumulative byte count of checkpoint `index` (0-based); the last one is `total`.
    function checkpointAt(Mode mode, uint256 index, uint256 total) internal pure returns (uint256) {
        uint256 count = checkpointCount(mode, total);
        if (index >= count) revert CheckpointIndexOutOfRange(index, count);
        // Every index below the last is an exponential boundary below total, so `_boundary` cannot overflow.
        return index == count - 1 ? total : _boundary(index);
    }

    /// @notice The smallest checkpoint greater than `servedBytes` (the byte count at which the seeder stops and
    /// asks for a voucher), or `total` once `servedBytes` has reached it.
    function nextCheckpoint(Mode mode, uint256 servedBytes, uint256 total) internal pure returns (uint256) {
        if (mode == Mode.Upfront || servedBytes >= total) return total;
        // FIRST * (2^(k+1) - 1) > servedBytes  <=>  2^(k+1) > servedBytes / FIRST + 1 (floor division).
        // The shift is at most 2 << 232: servedBytes / FIRST + 1 < 2^233.
        uint256 multiple = (2 << Math.log2(servedBytes / FIRST_CHECKPOINT + 1)) - 1;
        // Compare before multiplying so that a boundary beyond total never overflows.
        return multiple > total / FIRST_CHECKPOINT ? total : multiple * FIRST_CHECKPOINT;
    }

    /// @notice Whether `cumulativeBytes` is one of the checkpoints of a download of `total` bytes.
    function isCheckpoint(Mode mode, uint256 cumulativeBytes, uint256 total) internal pure returns (bool) {
        if (cumulativeBytes == 0 || cumulativeBytes > total) return false;
        if (cumulativeBytes == total) return true;
        if (mode == Mode.Upfront || cumulativeBytes % FIRST_CHECKPOINT != 0) return false;
        // An exponential boundary is FIRST * (2^(k+1) - 1): the multiple plus one is a power of two (>= 2 here).
        uint256 multiplePlusOne = cumulativeBytes / FIRST_CHECKPOINT + 1;
        return multiplePlusOne & (multiplePlusOne - 1) == 0;
    }

    /// @notice The price of `cumulativeBytes` at `pricePerMiB`, rounded down (in the leecher's favour).
    function amountFor(uint256 cumulativeBytes, uint256 pricePerMiB) internal pure returns (uint256) {
        return cumulativeBytes * pricePerMiB / MIB;
    }

    /// @notice What a seeder paid `paidAmount` in total for `paidBytes` needs set aside to be paid up to `until` at its
    /// own price, which only the payment tells: when `paidBytes` are whole MiB and `paidAmount` is exactly their price
    /// at a whole price per MiB within the cap (a voucher at a checkpoint), that price; otherwise an upper bound (the cap, or the
    /// payment's price rounded up, each with one wei for rounding). Zero when nothing is left to serve or was paid.
    function reservationFor(uint256 paidBytes, uint256 paidAmount, uint256 until, uint256 capPricePerMiB)
        internal
        pure
        returns (uint256)
    {
        if (until <= paidBytes || paidBytes == 0) return 0;
        uint256 scaled = paidAmount * MIB;
        if (paidBytes % MIB == 0 && scaled % paidBytes == 0 && scaled / paidBytes <= capPricePerMiB) {
            // paidAmount is then exactly amountFor(paidBytes, price), and at whole MiB no smaller price pays as much.
            return amountFor(until, scaled / paidBytes) - paidAmount;
        }
        uint256 atCap = amountFor(until, capPricePerMiB) - amountFor(paidBytes, capPricePerMiB) + 1;
        uint256 atPaid = Math.mulDiv(paidAmount + 1, until - paidBytes, paidBytes, Math.Rounding.Ceil) + 1;
        return Math.min(atCap, atPaid);
    }

    /// @dev The exponential checkpoint `k`, regardless of `total`.
    function _boundary(uint256 k) private pure returns (uint256) {
        return FIRST_CHECKPOINT * ((2 << k) - 1);
    }
}
