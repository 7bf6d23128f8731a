// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "../utils/Test.sol";
import {BondingCurve, CurveKind} from "../../contracts/libraries/BondingCurve.sol";

/// @notice Fuzz tests of the bonding curves (`BondingCurve`) the license market prices with.
contract BondingCurveTest is Test {
    uint256 internal constant MAX_QUANTITY = 64;

    /// @dev The closed form against the sum of single-license prices: exact for linear curves; for exponential
    /// curves at most `quantity - 1` wei above it (one floor for the batch against one per license). Also: the
    /// price of the next license never decreases, and `costAndNextPrice` agrees with `cost`.
    function testFuzz_Quote_EqualsSumOfSinglePurchasesBound(
        bool exponential,
        uint128 base,
        uint128 growth,
        uint64 supply,
        uint256 quantity
    ) public pure {
        quantity = bound(quantity, 1, MAX_QUANTITY);
        CurveKind curve = exponential ? CurveKind.Exponential : CurveKind.Linear;
        if (exponential) {
            growth = uint128(bound(growth, 0, 10_000));
            base = uint128(bound(base, 0, type(uint64).max));
            // Keeps r^(supply + quantity) well inside uint256 (about 2^150 at most) for every growth rate.
            supply = uint64(bound(supply, 0, 1_000_000 / (uint256(growth) + 1)));
        }

        uint256 closed = BondingCurve.cost(curve, base, growth, supply, quantity);
        uint256 stepwise;
        uint256 previous;
        for (uint256 i; i < quantity; ++i) {
            uint256 price = BondingCurve.cost(curve, base, growth, supply + i, 1);
            assertGe(price, previous, "price decreased along the curve");
            previous = price;
            stepwise += price;
        }
        if (exponential) {
            assertGe(closed, stepwise, "closed form below the single prices");
            assertLe(closed - stepwise, quantity - 1, "closed form more than q - 1 wei above the single prices");
        } else {
            assertEq(closed, stepwise, "linear closed form differs from the sum");
        }

        (uint256 total, uint256 next) = BondingCurve.costAndNextPrice(curve, base, growth, supply, quantity);
        assertEq(total, closed, "costAndNextPrice cost");
        assertEq(next, BondingCurve.cost(curve, base, growth, supply + quantity, 1), "costAndNextPrice next");
        assertGe(next, previous, "next price below the last one bought");
    }

    /// @dev rpow agrees with naive repeated multiplication up to rounding: every floor loses under one wei of a
    /// value of at least WAD, so each path is off by under (its products) x (result / WAD) wei.
    function testFuzz_Rpow_NearRepeatedMultiplication(uint256 growthBps, uint256 n) public pure {
        growthBps = bound(growthBps, 1, 10_000);
        n = bound(n, 0, 100);
        uint256 ratio = BondingCurve.WAD + growthBps * BondingCurve.WAD_PER_BPS;
        uint256 naive = BondingCurve.WAD;
        for (uint256 i; i < n; ++i) {
            naive = naive * ratio / BondingCurve.WAD;
        }
        uint256 fast = BondingCurve.rpow(ratio, n);
        uint256 diff = fast > naive ? fast - naive : naive - fast;
        assertLe(diff, 3 * n * (naive / BondingCurve.WAD + 1), "rpow drifted from repeated multiplication");
    }
}
