/**
 * The one rule for what a session key signed, shared by every verifier off-chain (the seeders, the WS402 gateway)
 * and matching the contracts' SessionKeySignature library: a session key is a plain key, so a message is its
 * signature only by ECDSA, in the form OpenZeppelin's ECDSA accepts — 65 bytes r ‖ s ‖ v, v of 27 or 28, r and s
 * non-zero, s in the lower half of the curve order. ERC-1271 is never asked, whatever code the key's address holds
 * (a contract is refused as a session key at `open`; a key that later delegates its address with EIP-7702 still
 * pays). viem's recovery alone is more lenient (high s, v of 0 or 1, 64-byte compact signatures): a seeder that
 * accepted those would hold vouchers the chain refuses.
 */
import { hexToBytes, type Hex } from "viem";

/** Half the order of secp256k1: OpenZeppelin's ECDSA rejects a larger s (the malleable twin of a signature). */
export const SECP256K1_HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

const SIGNATURE_BYTES = 65;

/** Whether `signature` has the form the contracts accept from a session key (see the module comment). */
export function isChainAcceptedSignature(signature: string): signature is Hex {
  if (!/^0x[0-9a-fA-F]*$/.test(signature) || signature.length !== 2 + 2 * SIGNATURE_BYTES) return false;
  const bytes = hexToBytes(signature as Hex);
  const v = bytes[SIGNATURE_BYTES - 1];
  const r = BigInt(signature.slice(0, 66));
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  return (v === 27 || v === 28) && r !== 0n && s !== 0n && s <= SECP256K1_HALF_ORDER;
}
