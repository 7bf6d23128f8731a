// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "../utils/Test.sol";
import {RebateMath} from "../../contracts/libraries/RebateMath.sol";

/// @notice Fuzz tests of the rebate pool's payout and share rules (`RebateMath`).
contract RebateMathTest is Test {
    uint256 private constant SEEDERS = 3;
    uint256 private constant STEPS = 8;

    /// @dev One credit never pays more than what remains, never credits past the room, and the last byte pays the rest.
    function testFuzz_CreditLicense_OneCredit(uint128 remaining, uint64 bytesCredited, uint64 size, uint256 newBytes)
        public
        pure
    {
        (uint64 credited, uint128 payout) = RebateMath.creditLicense(remaining, bytesCredited, size, newBytes);
        uint256 room = size > bytesCredited ? size - bytesCredited : 0;
        assertLe(credited, room, "credited <= room");
        assertLe(credited, newBytes, "credited <= new bytes");
        assertEq(credited, newBytes < room ? newBytes : room, "credited = min(new bytes, room)");
        assertLe(payout, remaining, "payout <= remaining");
        uint256 expected = credited == 0 ? 0 : uint256(remaining) * credited / room;
        assertEq(payout, expected, "payout = remaining x credited / room");
        if (credited == room && room != 0) assertEq(payout, remaining, "the last byte pays the rest");
    }

    /// @dev A sequence of credits against a fixed allowance pays out at most the allowance, exactly it at full size.
    function testFuzz_CreditLicense_SequencePaysAtMostAllowance(
        uint128 allowance,
        uint64 size,
        uint64[STEPS] memory chunks
    ) public pure {
        size = uint64(bound(size, 1, type(uint64).max));
        uint128 remaining = allowance;
        uint64 bytesCredited;
        uint256 paid;
        for (uint256 i; i < STEPS; ++i) {
            (uint64 credited, uint128 payout) = RebateMath.creditLicense(remaining, bytesCredited, size, chunks[i]);
            remaining -= payout;
            bytesCredited += credited;
            paid += payout;
            assertLe(bytesCredited, size, "credited <= size");
            assertLe(paid, allowance, "paid <= allowance");
        }
        if (bytesCredited == size) assertEq(paid, allowance, "full size pays the allowance exactly");
    }

    /// @dev Pro-rata parts of an epoch pool by earnings never add up to more than the pool and leave less than one wei
    /// per seeder; capped shares plus what rolls forward add up to exactly the same. The caps bind exactly when the
    /// pool exceeds what the epoch earned, and then for every seeder alike: each gets what it earned.
    function testFuzz_EpochShare_SharesNeverExceedPool(uint128 epochPool, uint64[SEEDERS] memory earned) public pure {
        uint128 total = uint128(earned[0]) + earned[1] + earned[2];
        uint256 proRata;
        uint256 shares;
        uint256 rolledForward;
        for (uint256 i; i < SEEDERS; ++i) {
            proRata += RebateMath.proRataShare(epochPool, earned[i], total);
            (uint256 share, uint256 rolled) = RebateMath.epochShare(epochPool, earned[i], total);
            shares += share;
            rolledForward += rolled;
            if (epochPool >= total) assertEq(share, earned[i], "pool >= epoch earnings: each share is what it earned");
            else assertEq(rolled, 0, "pool < epoch earnings: no cap binds");
        }
        assertLe(proRata, epochPool, "pro-rata parts <= pool");
        assertEq(shares + rolledForward, proRata, "shares + rolled forward = pro-rata parts");
        if (total != 0) assertLe(epochPool - proRata, SEEDERS - 1, "dust < one wei per seeder");
        else assertEq(proRata, 0, "nothing earned, no shares");
    }

    /// @dev A share is the pro-rata part by earnings, capped at what the seeder earned; the rest rolls forward.
    function testFuzz_EpochShare_CappedAtEarned(uint128 epochPool, uint128 seederEarned, uint128 epochEarned)
        public
        pure
    {
        seederEarned = uint128(bound(seederEarned, 0, epochEarned));
        (uint256 share, uint256 rolledForward) = RebateMath.epochShare(epochPool, seederEarned, epochEarned);
        uint256 proRata = epochEarned == 0 ? 0 : uint256(epochPool) * seederEarned / epochEarned;
        assertLe(share, seederEarned, "share <= earned");
        assertLe(share, proRata, "share <= pro rata");
        assertEq(share, proRata < seederEarned ? proRata : seederEarned, "share = min(pro rata, earned)");
        assertEq(share + rolledForward, proRata, "share + rolled forward = pro rata");
        if (seederEarned == 0) assertEq(share, 0, "bytes that earned nothing win nothing");
    }

    /// @dev Epochs are consecutive windows of `duration` seconds from genesis.
    function testFuzz_EpochAt_WindowsOfDuration(uint64 genesis, uint32 duration, uint64 elapsed) public pure {
        duration = uint32(bound(duration, 1, type(uint32).max));
        uint256 epoch = RebateMath.epochAt(genesis, duration, uint256(genesis) + elapsed);
        assertLe(epoch * duration, elapsed, "epoch starts at or before the time");
        assertGe((epoch + 1) * duration, uint256(elapsed) + 1, "and ends after it");
    }
}
