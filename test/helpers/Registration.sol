// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {vm} from "../utils/Vm.sol";
import {LicenseMarket} from "../../contracts/LicenseMarket.sol";
import {ILicenseMarket} from "../../contracts/interfaces/ILicenseMarket.sol";
import {CurveKind} from "../../contracts/libraries/BondingCurve.sol";

/// @notice The two steps of a registration for the Solidity tests, as the sdk's `registerContent` takes them: the
/// calling contract commits, the clock moves past the market's minimum commitment age, the same contract reveals.
library Registration {
    /// @dev Any secret does for tests; a real publisher draws a fresh random salt per registration.
    bytes32 internal constant SALT = keccak256("w3t test registration salt");

    /// @dev The smallest minimum commitment age a market accepts: tests that do not test commit–reveal move the clock
    /// as little as possible.
    uint256 internal constant MIN_COMMITMENT_AGE = 1;

    function commitAndRegister(LicenseMarket market, ILicenseMarket.ContentParams memory p)
        internal
        returns (uint256 contentId)
    {
        market.commit(market.makeCommitment(p.infohash, address(this), SALT));
        vm.warp(block.timestamp + market.minCommitmentAge());
        return market.registerContent(p, SALT);
    }

    /// @dev A flat-priced content (linear curve, no growth) without supply cap, bounty fee or transfers.
    function flatContent(bytes32 infohash, uint64 size, address payout, uint128 basePrice)
        internal
        pure
        returns (ILicenseMarket.ContentParams memory)
    {
        return ILicenseMarket.ContentParams({
            infohash: infohash,
            size: size,
            payout: payout,
            basePrice: basePrice,
            curve: CurveKind.Linear,
            growth: 0,
            maxSupply: 0,
            bountyFeeBps: 0,
            transferable: false,
            metadataURI: ""
        });
    }
}
