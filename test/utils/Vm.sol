// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The few Foundry-compatible cheatcodes the Solidity tests use. Hardhat 3 serves them at the
/// standard address; forge-std is not used because its npm copy is broken.
interface Vm {
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function deal(address account, uint256 newBalance) external;
    function prank(address msgSender) external;
    function startPrank(address msgSender) external;
    function stopPrank() external;
    function assume(bool condition) external pure;
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function chainId(uint256 newChainId) external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function expectRevert() external;
    function expectEmit() external;
    function label(address account, string calldata newLabel) external;
    function etch(address target, bytes calldata newRuntimeBytecode) external;
}

/// @dev The cheatcode address, `address(uint160(uint256(keccak256("hevm cheat code"))))`.
Vm constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
