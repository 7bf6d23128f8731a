// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IRebatePool
/// @notice How the license market hands a purchase's network and bounty fees to the rebate pool.
interface IRebatePool {
    /// @notice Adds `msg.value` to the rebate allowance of the license (`licensee`, `contentId`).
    /// @dev Only the bound license market may call it.
    function fundAllowance(address licensee, uint256 contentId) external payable;
}
