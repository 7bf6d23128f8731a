// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {WS402Deposits} from "../WS402Deposits.sol";

/// @title TestUserAccount
/// @notice TEST ONLY — never deploy outside the test suite. A contract account that uses WS402 sessions and can be
/// told to refuse ETH (revert) or to burn all the gas it is given, to test the deferred-payment fallback.
contract TestUserAccount {
    enum ReceiveMode {
        Accept,
        Revert,
        BurnGas
    }

    error PaymentRefused();

    WS402Deposits public immutable deposits;
    ReceiveMode public receiveMode;

    constructor(WS402Deposits deposits_) {
        deposits = deposits_;
    }

    function setReceiveMode(ReceiveMode mode) external {
        receiveMode = mode;
    }

    function open(uint256 resourceId, uint32 maxSeconds, address sessionKey) external payable returns (uint256) {
        return deposits.open{value: msg.value}(resourceId, maxSeconds, sessionKey);
    }

    function requestClose(uint256 sessionId) external {
        deposits.requestClose(sessionId);
    }

    function reclaim(uint256 sessionId) external {
        deposits.reclaim(sessionId);
    }

    function withdraw() external returns (uint256) {
        return deposits.withdraw();
    }

    receive() external payable {
        ReceiveMode mode = receiveMode;
        if (mode == ReceiveMode.Revert) revert PaymentRefused();
        if (mode == ReceiveMode.BurnGas) {
            // Spin until the forwarded gas runs out.
            while (true) {}
        }
    }
}
