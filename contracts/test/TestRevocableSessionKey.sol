// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title TestRevocableSessionKey
/// @notice TEST ONLY — never deploy outside the test suite. A hostile session key: an ERC-1271 account that accepts
/// its `signer`'s signatures while `enabled`, and that its owner switches off once it has been served, so that
/// every voucher or receipt it "signed" turns invalid. As an EIP-7702 delegate, the delegating key's own storage
/// holds `enabled == false`, so the key's address answers every ERC-1271 check with "invalid".
contract TestRevocableSessionKey is IERC1271 {
    /// @dev ERC-1271's answer for a signature that is not valid.
    bytes4 private constant INVALID_SIGNATURE = 0xffffffff;

    address public immutable signer;
    bool public enabled;

    constructor(address signer_) {
        signer = signer_;
        enabled = true;
    }

    /// @notice Switches the key off: from now on it disowns everything it signed.
    function revoke() external {
        enabled = false;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (!enabled) return INVALID_SIGNATURE;
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == signer ? IERC1271.isValidSignature.selector : INVALID_SIGNATURE;
    }
}
