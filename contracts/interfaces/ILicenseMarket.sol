// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ILicenseMarket
/// @notice What the escrow and the rebate pool read from the license market.
interface ILicenseMarket {
    /// @notice Whether `account` holds at least one license of `contentId`.
    function hasLicense(address account, uint256 contentId) external view returns (bool);

    /// @notice The license check and the content size in one call, for the hot paths of the escrow and the pool.
    /// @return licensed Whether `account` holds at least one license of `contentId`.
    /// @return size The content's size in bytes (0 when the content does not exist).
    function licenseInfo(address account, uint256 contentId) external view returns (bool licensed, uint256 size);

    /// @notice The network fee on every purchase, in basis points of the curve price (0 when the owner waived it).
    function networkFeeBps() external view returns (uint16);
}
