// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice The shape of a content's price curve. The values (0, 1) are mirrored by `CurveKind` in the sdk.
enum CurveKind {
    Linear,
    Exponential
}

/// @title BondingCurve
/// @notice Closed-form cost of buying licenses along a linear or an exponential price curve.
/// @dev License number `i` (0-based: the first license ever sold is number 0) costs
///  - Linear:      `base + slope * i`;
///  - Exponential: `base * r^i` with `r = 1 + growthBps / 10_000`, in wad fixed point.
///
/// The cost of `quantity` licenses from `supply` on is the sum of their prices:
///  - Linear: `quantity * base + slope * (quantity * supply + quantity * (quantity - 1) / 2)`, exact.
///  - Exponential: the geometric sum `base * (R(supply + quantity) - R(supply)) / (r - 1)`, where `R(n)` is
///    `rpow(r, n)`. Every `R(n)` is computed the same way for the same `n`, so the sum telescopes: the
///    closed form exceeds the sum of the single-license prices by less than `quantity` wei (each single
///    price floors once, the batch floors once).
///
/// Every operation is checked: a curve whose prices leave uint256 reverts with a panic instead of wrapping.
/// `sdk/src/bondingCurve.ts` performs the same integer operations in the same order; change both together.
library BondingCurve {
    /// @dev Fixed-point one.
    uint256 internal constant WAD = 1e18;
    /// @dev One basis point in wad (WAD / 10_000).
    uint256 internal constant WAD_PER_BPS = 1e14;

    /// @notice The cost of licenses `supply` .. `supply + quantity - 1`.
    /// @param growth Linear: slope in wei per license. Exponential: growth in basis points per license.
    function cost(CurveKind curve, uint256 base, uint256 growth, uint256 supply, uint256 quantity)
        internal
        pure
        returns (uint256)
    {
        if (curve == CurveKind.Linear) return linearCost(base, growth, supply, quantity);
        return exponentialCost(base, growth, supply, quantity);
    }

    /// @notice `cost(curve, base, growth, supply, quantity)` and the price of the license after them,
    /// `cost(curve, base, growth, supply + quantity, 1)`, sharing the power both need.
    function costAndNextPrice(CurveKind curve, uint256 base, uint256 growth, uint256 supply, uint256 quantity)
        internal
        pure
        returns (uint256 total, uint256 next)
    {
        uint256 end = supply + quantity;
        if (curve == CurveKind.Linear) {
            return (linearCost(base, growth, supply, quantity), base + growth * end);
        }
        if (growth == 0) return (quantity * base, base);
        uint256 ratio = WAD + growth * WAD_PER_BPS;
        uint256 powEnd = rpow(ratio, end);
        total = Math.mulDiv(base, powEnd - rpow(ratio, supply), ratio - WAD);
        next = Math.mulDiv(base, rpow(ratio, end + 1) - powEnd, ratio - WAD);
    }

    /// @notice Sum of `base + slope * i` for `i` in [`supply`, `supply + quantity`).
    function linearCost(uint256 base, uint256 slope, uint256 supply, uint256 quantity)
        internal
        pure
        returns (uint256)
    {
        // quantity * (quantity - 1) is even, so halving it is exact; zero quantity would underflow it.
        if (quantity == 0) return 0;
        return quantity * base + slope * (quantity * supply + quantity * (quantity - 1) / 2);
    }

    /// @notice Sum of `base * r^i` for `i` in [`supply`, `supply + quantity`), `r = 1 + growthBps / 10_000`.
    function exponentialCost(uint256 base, uint256 growthBps, uint256 supply, uint256 quantity)
        internal
        pure
        returns (uint256)
    {
        // r = 1 makes the geometric formula 0/0; the curve is flat.
        if (growthBps == 0) return quantity * base;
        uint256 ratio = WAD + growthBps * WAD_PER_BPS;
        return Math.mulDiv(base, rpow(ratio, supply + quantity) - rpow(ratio, supply), ratio - WAD);
    }

    /// @notice `x^n` in wad, by exponentiation by squaring; every product rounds down.
    /// @dev For `x >= WAD + WAD_PER_BPS` (one basis point of growth or more) the result increases with `n`:
    /// each product loses under one wei of a value of at least WAD, far less than a step of growth. The last
    /// squaring is skipped because it would be unused (and could overflow where the result does not).
    function rpow(uint256 x, uint256 n) internal pure returns (uint256 z) {
        z = WAD;
        while (n != 0) {
            if (n & 1 != 0) z = Math.mulDiv(z, x, WAD);
            n >>= 1;
            if (n != 0) x = Math.mulDiv(x, x, WAD);
        }
    }
}
