// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./Test.sol";

/// @dev The shape of forge-std's `StdInvariant.FuzzSelector`, which EDR reads from `targetSelectors()`: the fuzzer
/// calls only these selectors of `addr`.
struct FuzzSelector {
    address addr;
    bytes4[] selectors;
}

/// @notice An invariant test whose fuzzer calls one handler, and only the listed functions of it.
abstract contract HandlerInvariants is Test {
    address private _handler;
    bytes4[] private _selectors;

    /// @dev Called from `setUp`: the fuzzer's calls go to `selectors` of `handler` only.
    function _targetHandler(address handler, bytes4[] memory selectors) internal {
        _handler = handler;
        _selectors = selectors;
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = _handler;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: _handler, selectors: _selectors});
    }
}
