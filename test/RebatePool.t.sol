// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {RebatePoolFixture} from "./helpers/RebatePoolFixture.sol";
import {RebateMath} from "../contracts/libraries/RebateMath.sol";

/// @notice Fuzz tests of the payout rule: through the real market and signed receipts, and on RebateMath alone.
contract RebatePoolTest is Test, RebatePoolFixture {
    uint256 private constant LEECHER_PK = 0xA11CE;
    uint256 private constant SESSION_PK = 0x5E55;
    uint256 private constant SEEDERS = 3;
    uint256 private constant STEPS = 8;
    /// @dev A step whose pick lands here buys another license for the leecher instead of submitting a receipt.
    uint256 private constant BUY_AGAIN = 3;
    uint128 private constant MAX_PRICE = 1e24;

    address private leecher;
    uint64 private expiry;

    function setUp() public {
        _deploy();
        leecher = vm.addr(LEECHER_PK);
        expiry = uint64(block.timestamp + 365 days);
    }

    /// @dev Any sequence of cumulative receipts from several seeders, with purchases in between, pays out at most what
    /// the license was funded with, credits at most the content size, and pays exactly the funding received before the
    /// whole size was credited.
    function testFuzz_SubmitReceipts_PayoutNeverExceedsAllowance(
        uint64 sizeSeed,
        uint128 priceSeed,
        uint64[STEPS] memory increments,
        uint8[STEPS] memory picks
    ) public {
        uint64 size = uint64(bound(sizeSeed, 1, type(uint64).max));
        uint128 price = uint128(bound(priceSeed, 0, MAX_PRICE));
        uint256 contentId = _register(size, price, false);
        uint256 funded = _buy(contentId, leecher, 1);

        address[SEEDERS] memory seeders = [address(0x5EED1), address(0x5EED2), address(0x5EED3)];
        uint256[SEEDERS] memory cumulative;
        uint256 attempted;
        // Funding that arrives once the whole size is credited can no longer be earned (it waits for the sweep).
        uint256 fundedAfterFull;
        for (uint256 i; i < STEPS; ++i) {
            uint256 pick = picks[i] % (SEEDERS + 1);
            if (pick == BUY_AGAIN) {
                uint256 fees = _buy(contentId, leecher, 1);
                funded += fees;
                if (attempted >= size) fundedAfterFull += fees;
                continue;
            }
            uint256 increment = bound(increments[i], 1, size);
            cumulative[pick] += increment;
            attempted += increment;
            _submit(
                seeders[pick], _signedReceipt(LEECHER_PK, SESSION_PK, seeders[pick], contentId, cumulative[pick], expiry)
            );

            uint256 paid = pool.balances(seeders[0]) + pool.balances(seeders[1]) + pool.balances(seeders[2]);
            (uint256 remaining, uint256 bytesCredited,) = pool.allowance(leecher, contentId);
            assertLe(paid, funded, "paid <= funded");
            assertEq(remaining + paid, funded, "remaining + paid = funded");
            assertLe(bytesCredited, size, "credited <= size");
            assertEq(bytesCredited, attempted < size ? attempted : size, "credited = min(attempted, size)");
            if (bytesCredited == size) {
                assertEq(remaining, fundedAfterFull, "whole size credited pays all funding received before it");
            }
        }
        (, uint256 epochBytes,) = pool.epochInfo(0);
        (, uint256 licenseBytes,) = pool.allowance(leecher, contentId);
        assertEq(epochBytes, licenseBytes, "the epoch counts exactly the credited bytes");
    }

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

    /// @dev Shares of an epoch pool never add up to more than the pool, and leave less than one wei per seeder.
    function testFuzz_EpochShare_SharesNeverExceedPool(uint128 epochPool, uint64[SEEDERS] memory seederBytes)
        public
        pure
    {
        uint128 total = uint128(seederBytes[0]) + seederBytes[1] + seederBytes[2];
        uint256 shared;
        for (uint256 i; i < SEEDERS; ++i) {
            shared += RebateMath.epochShare(epochPool, seederBytes[i], total);
        }
        assertLe(shared, epochPool, "shares <= pool");
        if (total != 0) assertLe(epochPool - shared, SEEDERS - 1, "dust < one wei per seeder");
        else assertEq(shared, 0, "no bytes, no shares");
    }

    /// @dev Epochs are consecutive windows of `duration` seconds from genesis.
    function testFuzz_EpochAt_WindowsOfDuration(uint64 genesis, uint32 duration, uint64 elapsed) public pure {
        duration = uint32(bound(duration, 1, type(uint32).max));
        uint256 epoch = RebateMath.epochAt(genesis, duration, uint256(genesis) + elapsed);
        assertLe(epoch * duration, elapsed, "epoch starts at or before the time");
        assertGe((epoch + 1) * duration, uint256(elapsed) + 1, "and ends after it");
    }
}
