// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IRebatePool
/// @notice How the license market hands a purchase's fees to the rebate pool.
interface IRebatePool {
    /// @notice Takes a purchase's fees (`msg.value`): `networkFee` goes into the current epoch's pool and buys the
    /// license's weight budget, the rest (the bounty fee) is added to the rebate allowance of the license
    /// (`licensee`, `contentId`).
    /// @dev Only the bound license market may call it; `networkFee <= msg.value`.
    function fundLicense(address licensee, uint256 contentId, uint256 networkFee) external payable;
}
