// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title SessionKeySignature
/// @notice How a session key's messages (escrow vouchers, WS402 usage receipts) are checked: a session key is a plain
/// key, so what it signed is verified by ECDSA only, and no address with code is accepted as one.
///
/// ERC-1271 is deliberately not consulted. Its answer can change after the fact: a contract key whose owner switches
/// it off, or a plain key that later delegates its address (EIP-7702) to code answering "invalid", would let the
/// payer disown messages a seeder or provider was served against and recover the whole deposit. An ECDSA signature
/// stays valid whatever code the key's address holds later, so a message accepted once can always be cashed.
library SessionKeySignature {
    /// @notice A session key must be a plain key: `sessionKey` has code (a contract, or an EIP-7702 delegation).
    error SessionKeyHasCode(address sessionKey);

    /// @dev Reverts unless `sessionKey` has no code. Called when a key is registered: a key that has code then could
    /// change its mind about its signatures, and the off-chain services check signatures by ECDSA only.
    function requirePlainKey(address sessionKey) internal view {
        if (sessionKey.code.length != 0) revert SessionKeyHasCode(sessionKey);
    }

    /// @dev Whether `signature` is `sessionKey`'s ECDSA signature of `digest` under OpenZeppelin's rules (65 bytes,
    /// v of 27 or 28, s in the lower half order). `sessionKey` is never zero (a recovery never yields zero).
    function isSignedBy(address sessionKey, bytes32 digest, bytes calldata signature) internal pure returns (bool) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        return err == ECDSA.RecoverError.NoError && recovered == sessionKey;
    }
}
