// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRebatePool} from "../interfaces/IRebatePool.sol";

/// @title RebatePoolStub
/// @notice TEST ONLY: stands in for the RebatePool in the LicenseMarket tests. Like the real pool it keeps one
/// storage slot per license (licensee, content), so gas measured against it is close to production.
contract RebatePoolStub is IRebatePool {
    mapping(address licensee => mapping(uint256 contentId => uint256 amount)) public allowance;
    /// @dev Per license: the network fees paid for it (the real pool's weight budget).
    mapping(address licensee => mapping(uint256 contentId => uint256 amount)) public weightBudget;
    uint256 public pooled;

    event AllowanceFunded(address indexed licensee, uint256 indexed contentId, uint256 amount);
    event NetworkFeePooled(address indexed licensee, uint256 indexed contentId, uint256 amount);

    /// @inheritdoc IRebatePool
    function fundLicense(address licensee, uint256 contentId, uint256 networkFee) external payable {
        allowance[licensee][contentId] += msg.value - networkFee;
        weightBudget[licensee][contentId] += networkFee;
        pooled += networkFee;
        emit AllowanceFunded(licensee, contentId, msg.value - networkFee);
        emit NetworkFeePooled(licensee, contentId, networkFee);
    }
}
