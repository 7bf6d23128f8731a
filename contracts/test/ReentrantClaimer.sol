// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RebatePool} from "../RebatePool.sol";

/// @notice Test double: a seeder contract that tries to claim again while the pool pays it.
contract ReentrantClaimer {
    RebatePool public immutable pool;
    uint256[] private _epochs;
    /// @notice How many times the nested claim was attempted, and the revert data of the last attempt.
    uint256 public attempts;
    bytes public lastRevertData;

    constructor(RebatePool pool_) {
        pool = pool_;
    }

    /// @notice Claims `epochs`; the payment triggers one nested claim of the same epochs.
    function claim(uint256[] calldata epochs) external {
        _epochs = epochs;
        pool.claim(epochs);
    }

    receive() external payable {
        if (attempts != 0) return;
        ++attempts;
        try pool.claim(_epochs) {} catch (bytes memory reason) {
            lastRevertData = reason;
        }
    }
}
