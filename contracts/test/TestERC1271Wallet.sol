// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ERC1155Holder} from "@openzeppelin/contracts/token/ERC1155/utils/ERC1155Holder.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title TestERC1271Wallet
/// @notice TEST ONLY — never deploy outside the test suite. A minimal smart-contract wallet that accepts a digest
/// signed by its `signer` key, so tests can use an ERC-1271 account as a session key, or as a leecher that holds
/// licenses (ERC-1155) and signs delegations.
contract TestERC1271Wallet is IERC1271, ERC1155Holder {
    /// @dev ERC-1271's answer for a signature that is not valid.
    bytes4 private constant INVALID_SIGNATURE = 0xffffffff;

    address public immutable signer;

    constructor(address signer_) {
        signer = signer_;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == signer ? IERC1271.isValidSignature.selector : INVALID_SIGNATURE;
    }
}
