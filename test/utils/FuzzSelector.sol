// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @dev The shape of forge-std's `StdInvariant.FuzzSelector`, which EDR reads from `targetSelectors()`: the fuzzer
/// calls only these selectors of `addr`.
struct FuzzSelector {
    address addr;
    bytes4[] selectors;
}
