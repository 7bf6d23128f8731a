// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title RebateMath
/// @notice The rebate pool's arithmetic, pure so that it can be fuzzed on its own: epoch numbering, the payout of
/// credited bytes from a license's allowance, and a seeder's share of an epoch pool.
library RebateMath {
    /// @notice The epoch that contains `timestamp`: epochs are `duration` seconds long and epoch 0 starts at `genesis`.
    /// @dev `timestamp` is never before `genesis` (genesis is the pool's deployment time).
    function epochAt(uint256 genesis, uint256 duration, uint256 timestamp) internal pure returns (uint256) {
        return (timestamp - genesis) / duration;
    }

    /// @notice Credits up to `newBytes` against a license and prices them.
    /// @dev Each credited byte pays `remaining / (size - bytesCredited)`, the allowance left per byte left, so
    /// crediting the license's last byte pays out exactly what remains and no sequence of credits pays more than the
    /// allowance.
    /// With no new funding in between this is `allowance / size` per byte, as the product spec states.
    /// @param remaining Allowance not yet paid out, in wei.
    /// @param bytesCredited Bytes already credited against the license, summed over all seeders.
    /// @param size The content's size in bytes: the license's lifetime cap.
    /// @param newBytes Bytes a receipt adds above what the seeder was already credited for this license.
    /// @return credited Bytes that count: `newBytes` cut to the room left under `size`.
    /// @return payout Wei owed for `credited`, rounded down (the remainder stays in the allowance).
    function creditLicense(uint128 remaining, uint64 bytesCredited, uint64 size, uint256 newBytes)
        internal
        pure
        returns (uint64 credited, uint128 payout)
    {
        // A content's size is fixed at registration; saturating keeps a market that reports less from underflowing.
        uint64 room = size > bytesCredited ? size - bytesCredited : 0;
        credited = newBytes < room ? uint64(newBytes) : room;
        // credited <= room, so payout <= remaining: the casts cannot truncate and the product fits in 192 bits.
        if (credited != 0) payout = uint128((uint256(remaining) * credited) / room);
    }

    /// @notice A seeder's share of an epoch pool: `pool * seederBytes / totalBytes`, rounded down.
    /// @dev Rounding dust stays in the contract. `seederBytes <= totalBytes`, so the share never exceeds `pool`.
    function epochShare(uint128 pool, uint128 seederBytes, uint128 totalBytes) internal pure returns (uint256) {
        if (totalBytes == 0) return 0;
        return (uint256(pool) * seederBytes) / totalBytes;
    }
}
