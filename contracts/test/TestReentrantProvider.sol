// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {WS402Deposits} from "../WS402Deposits.sol";
import {PayoutWithFallback} from "../utils/PayoutWithFallback.sol";

/// @title TestReentrantProvider
/// @notice TEST ONLY — never deploy outside the test suite. A hostile resource provider that is also its own payout
/// address: when paid, it re-enters `settle` (replaying the settlement being paid) or `withdraw`, to show that it gets
/// nothing extra.
contract TestReentrantProvider {
    enum Attack {
        None,
        Settle,
        Withdraw
    }

    /// @notice A re-entrant call was tried; `success` tells whether it went through.
    event ReentryAttempted(Attack attack, bool success, bytes returnData);

    WS402Deposits public immutable deposits;
    Attack public attack;
    /// @notice When true, a failed re-entry makes the payment itself revert (so the deposits contract defers it).
    bool public bubbleFailure;

    // The settlement being paid, kept in transient storage: cheap enough to replay within a pushed payment's stipend.
    uint256 private transient _sessionId;
    uint256 private transient _elapsedSeconds;
    bytes32 private transient _sigR;
    bytes32 private transient _sigS;
    uint8 private transient _sigV;

    constructor(WS402Deposits deposits_) {
        deposits = deposits_;
    }

    function arm(Attack attack_, bool bubbleFailure_) external {
        attack = attack_;
        bubbleFailure = bubbleFailure_;
    }

    function register(uint128 pricePerSecond) external returns (uint256) {
        return deposits.registerResource(pricePerSecond, address(this), "ipfs://hostile");
    }

    /// @param signature A 65-byte (r, s, v) signature.
    function settle(uint256 sessionId, uint256 elapsedSeconds, bytes calldata signature) external {
        _sessionId = sessionId;
        _elapsedSeconds = elapsedSeconds;
        _sigR = bytes32(signature[0:32]);
        _sigS = bytes32(signature[32:64]);
        _sigV = uint8(signature[64]);
        deposits.settle(sessionId, elapsedSeconds, signature);
    }

    function withdraw() external returns (uint256) {
        return deposits.withdraw();
    }

    receive() external payable {
        Attack current = attack;
        if (current == Attack.None) return;
        bytes memory data = current == Attack.Settle
            ? abi.encodeCall(
                WS402Deposits.settle, (_sessionId, _elapsedSeconds, abi.encodePacked(_sigR, _sigS, _sigV))
            )
            : abi.encodeCall(PayoutWithFallback.withdraw, ());
        (bool success, bytes memory returnData) = address(deposits).call(data);
        if (!success && bubbleFailure) {
            assembly ("memory-safe") {
                revert(add(returnData, 0x20), mload(returnData))
            }
        }
        emit ReentryAttempted(current, success, returnData);
    }
}
