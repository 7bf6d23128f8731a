// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRebatePool} from "../interfaces/IRebatePool.sol";

/// @title EscrowTestRebateSink
/// @notice TEST ONLY: the smallest rebate pool the LicenseMarket accepts, so the CheckpointEscrow tests can sell
/// licenses through the real market. It keeps whatever fees it is sent.
contract EscrowTestRebateSink is IRebatePool {
    event AllowanceFunded(address indexed licensee, uint256 indexed contentId, uint256 amount);

    /// @inheritdoc IRebatePool
    function fundAllowance(address licensee, uint256 contentId) external payable {
        emit AllowanceFunded(licensee, contentId, msg.value);
    }
}
