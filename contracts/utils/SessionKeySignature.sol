// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title SessionKeySignature
/// @notice How a session key's messages (escrow vouchers, WS402 usage receipts) are checked: a session key is a plain
/// key, so what it signed is verified by ECDSA only, and no address with code is accepted as one.
///
/// ERC-1271 is deliberately not consulted. Its answer can change after the fact: a contract key whose owner switches
/// it off, or a plain key that later delegates its address (EIP-7702) to code answering "invalid", would let the
/// payer disown messages a seeder or provider was served against and recover the whole deposit. An ECDSA signature
/// stays valid whatever code the key's address holds later, so a message accepted once can always be cashed.
///
/// The wallet behind a session key is another matter: it authorises the key once (the rebate pool's `Delegation`),
/// and may be a smart-contract wallet, so {isSignedByWallet} also accepts ERC-1271.
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

    /// @dev Whether `wallet` signed `digest`: an EOA by ECDSA, or a smart-contract wallet by ERC-1271. ECDSA is tried
    /// first (as older releases of OpenZeppelin's SignatureChecker did), so that the common EOA case skips the cold
    /// EXTCODESIZE of the wallet, 2,600 gas. The only signatures this accepts beyond SignatureChecker are ECDSA
    /// signatures by the key of an account that has code: an EIP-7702 account, which that key controls.
    function isSignedByWallet(address wallet, bytes32 digest, bytes calldata signature) internal view returns (bool) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == wallet) return true;
        return SignatureChecker.isValidERC1271SignatureNowCalldata(wallet, digest, signature);
    }
}
