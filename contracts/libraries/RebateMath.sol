// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title RebateMath
/// @notice The rebate pool's arithmetic, pure so that it can be fuzzed on its own: epoch numbering, the payout of
/// credited bytes from a license's allowance, and a seeder's capped share of an epoch pool.
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
        (credited, payout,) = creditLicense(remaining, 0, bytesCredited, size, newBytes);
    }

    /// @notice {creditLicense} that also takes the credited bytes' weight from the license's weight budget, by the same
    /// per-byte rule: each credited byte weighs `budget / (size - bytesCredited)`, so a license weighs at most its
    /// budget and its last byte takes what remains of it.
    /// @param remaining Allowance not yet paid out, in wei.
    /// @param budget Weight budget not yet credited, in wei of network fees.
    /// @param bytesCredited Bytes already credited against the license, summed over all seeders.
    /// @param size The content's size in bytes: the license's lifetime cap.
    /// @param newBytes Bytes a receipt adds above what the seeder was already credited for this license.
    /// @return credited Bytes that count: `newBytes` cut to the room left under `size`.
    /// @return payout Wei owed for `credited`, rounded down (the remainder stays in the allowance).
    /// @return weight The weight of `credited`, rounded down (the remainder stays in the budget).
    function creditLicense(uint128 remaining, uint128 budget, uint64 bytesCredited, uint64 size, uint256 newBytes)
        internal
        pure
        returns (uint64 credited, uint128 payout, uint128 weight)
    {
        // A content's size is fixed at registration; saturating keeps a market that reports less from underflowing.
        uint64 room = size > bytesCredited ? size - bytesCredited : 0;
        credited = newBytes < room ? uint64(newBytes) : room;
        // credited <= room, so payout <= remaining and weight <= budget: the casts cannot truncate and the products
        // fit in 192 bits.
        if (credited != 0) {
            payout = uint128((uint256(remaining) * credited) / room);
            weight = uint128((uint256(budget) * credited) / room);
        }
    }

    /// @notice A seeder's pro-rata part of an epoch pool: `pool * seederWeight / totalWeight`, rounded down.
    /// @dev Rounding dust stays in the contract. `seederWeight <= totalWeight`, so it never exceeds `pool`.
    function proRataShare(uint128 pool, uint128 seederWeight, uint128 totalWeight) internal pure returns (uint256) {
        if (totalWeight == 0) return 0;
        return (uint256(pool) * seederWeight) / totalWeight;
    }

    /// @notice A seeder's share of an epoch pool: its pro-rata part by the allowance wei it earned in the epoch (its
    /// bytes weighted by the allowance they paid), capped at that amount. Bytes that earned nothing (free content, an
    /// empty allowance) weigh nothing and win nothing, and a self-dealer wins at most what its own allowances paid it,
    /// i.e. the fees it paid. The cap matters only when `pool > epochEarned`, and then every seeder of the epoch gets
    /// exactly what it earned.
    /// @param seederEarned Allowance wei credited to the seeder's receipts in the epoch: its weight and its cap.
    /// @param epochEarned Allowance wei credited to all seeders' receipts in the epoch: the total weight.
    /// @return share What the seeder gets: `min(pool * seederEarned / epochEarned, seederEarned)`.
    /// @return rolledForward The pro-rata part above the cap, which funds a later epoch instead.
    function epochShare(uint128 pool, uint128 seederEarned, uint128 epochEarned)
        internal
        pure
        returns (uint256 share, uint256 rolledForward)
    {
        uint256 proRata = proRataShare(pool, seederEarned, epochEarned);
        share = proRata < seederEarned ? proRata : seederEarned;
        rolledForward = proRata - share;
    }
}
