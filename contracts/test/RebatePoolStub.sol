// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRebatePool} from "../interfaces/IRebatePool.sol";

/// @title RebatePoolStub
/// @notice TEST ONLY: stands in for the RebatePool in the LicenseMarket tests. Like the real pool it keeps one
/// storage slot per license (licensee, content), holding both the allowance and the weight budget, and a pool total in
/// a slot that is live from deployment, so gas measured against it is close to production.
contract RebatePoolStub is IRebatePool {
    /// @dev Per license: the allowance (bounty fees) in the low 128 bits, the weight budget (network fees) above.
    mapping(address licensee => mapping(uint256 contentId => uint256 packed)) private _licenses;
    uint128 public pooled;
    /// @dev Keeps `pooled`'s slot non-zero from deployment, as the real pool keeps its carry's.
    bool private _pooledSlotLive = true;

    event AllowanceFunded(address indexed licensee, uint256 indexed contentId, uint256 amount);
    event NetworkFeePooled(address indexed licensee, uint256 indexed contentId, uint256 amount);

    /// @notice A license's allowance or weight budget would not fit in the stub's 128 bits.
    error AboveStubBound();

    /// @inheritdoc IRebatePool
    function fundLicense(address licensee, uint256 contentId, uint256 networkFee) external payable {
        uint256 bountyFee = msg.value - networkFee;
        uint256 packed = _licenses[licensee][contentId];
        uint256 funded = uint128(packed) + bountyFee;
        uint256 budget = (packed >> 128) + networkFee;
        if (funded > type(uint128).max || budget > type(uint128).max) revert AboveStubBound();
        _licenses[licensee][contentId] = (budget << 128) | funded;
        pooled += uint128(networkFee);
        emit AllowanceFunded(licensee, contentId, bountyFee);
        emit NetworkFeePooled(licensee, contentId, networkFee);
    }

    /// @notice The bounty fees paid for the license.
    function allowance(address licensee, uint256 contentId) external view returns (uint256) {
        return uint128(_licenses[licensee][contentId]);
    }

    /// @notice The network fees paid for the license.
    function weightBudget(address licensee, uint256 contentId) external view returns (uint256) {
        return _licenses[licensee][contentId] >> 128;
    }
}
