/**
 * Checks the session key's signatures (payment proofs and Usage receipts) exactly as the contract will.
 *
 * The digests are viem's EIP-712 hashes of the sdk's types (the Usage domain separator is computed once). Recovery
 * uses libsecp256k1 (tiny-secp256k1, WebAssembly): about ten times faster than the pure-JS curve, which is what
 * lets one gateway core verify thousands of sessions' receipts. The acceptance rules follow OpenZeppelin's ECDSA,
 * which the contract uses (SessionKeySignature): 65 bytes, v of 27 or 28, s in the lower half of the curve order.
 * A signature these rules accept is accepted on-chain, so a settlement never fails on a receipt the gateway
 * acknowledged. Session keys are plain keys: the contract refuses one with code at `open` and never asks ERC-1271,
 * so neither does the gateway (a key that later gains code through EIP-7702 still settles its receipts).
 */
import * as secp256k1 from "tiny-secp256k1";
import {
  concat,
  getAddress,
  hashDomain,
  hashTypedData,
  hexToBytes,
  keccak256,
  toHex,
  type Address,
  type Hex,
  type TypedDataDomain,
} from "viem";
import { SECP256K1_HALF_ORDER as HALF_ORDER } from "@web3torrent/sdk/ecdsa";
import { usageTypes, ws402Domain } from "@web3torrent/sdk/eip712";
import { paymentProofTypes, ws402GatewayDomain, type PaymentProof } from "@web3torrent/sdk/ws402/protocol";

const SIGNATURE_BYTES = 65;
const EIP712_DOMAIN_TYPE = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
] as const;

/** The 20-byte address of an uncompressed public key (65 bytes, 0x04 prefix). */
function addressOf(publicKey: Uint8Array): Address {
  return getAddress(`0x${keccak256(publicKey.subarray(1)).slice(-40)}`);
}

/** The (r, s) bytes and v of a signature OpenZeppelin's ECDSA would accept the form of; undefined otherwise. */
function parseSignature(signature: string): { rs: Uint8Array; v: 27 | 28 } | undefined {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return undefined;
  const bytes = hexToBytes(signature as Hex);
  if (bytes.length !== SIGNATURE_BYTES) return undefined;
  const v = bytes[64];
  if (v !== 27 && v !== 28) return undefined;
  const r = BigInt(toHex(bytes.subarray(0, 32)));
  const s = BigInt(toHex(bytes.subarray(32, 64)));
  if (r === 0n || s === 0n || s > HALF_ORDER) return undefined;
  return { rs: bytes.subarray(0, 64), v };
}

/** The uncompressed public key that signed a 32-byte digest, under OpenZeppelin ECDSA's rules. */
export function recoverPublicKey(digest: Hex, signature: string): Uint8Array | undefined {
  const parsed = parseSignature(signature);
  if (!parsed) return undefined;
  try {
    return secp256k1.recover(hexToBytes(digest), parsed.rs, (parsed.v - 27) as 0 | 1, false) ?? undefined;
  } catch {
    // r out of range or not on the curve: no signer.
    return undefined;
  }
}

/**
 * Recovers the signer of a 32-byte digest under OpenZeppelin ECDSA's rules; undefined for any signature the
 * contract would reject.
 */
export function recoverSigner(digest: Hex, signature: string): Address | undefined {
  const publicKey = recoverPublicKey(digest, signature);
  return publicKey ? addressOf(publicKey) : undefined;
}

/** The address of an uncompressed public key. */
export { addressOf };

/**
 * Whether `publicKey` signed the digest with these r and s (low s). Half the cost of a recovery: receipts are
 * checked this way against the key recovered once from the payment proof. The v byte is not checked here — see
 * `withRecoveryByte`, which fixes it once, when the receipt is settled.
 */
export function verifySignature(digest: Hex, signature: string, publicKey: Uint8Array): boolean {
  const parsed = parseSignature(signature);
  if (!parsed) return false;
  try {
    return secp256k1.verify(hexToBytes(digest), publicKey, parsed.rs, true);
  } catch {
    return false;
  }
}

/**
 * The signature with the v byte under which it recovers to `signer` (the contract recovers with v), or undefined
 * if neither does. A signature whose r and s verify for the key recovers to it under exactly one of 27 and 28, so a
 * receipt accepted by `verifySignature` always settles.
 */
export function withRecoveryByte(digest: Hex, signature: Hex, signer: Address): Hex | undefined {
  for (const v of [27, 28]) {
    const candidate = `${signature.slice(0, 130)}${v.toString(16)}` as Hex;
    const recovered = recoverSigner(digest, candidate);
    if (recovered && recovered.toLowerCase() === signer.toLowerCase()) return candidate;
  }
  return undefined;
}

export class SignatureVerifier {
  readonly #usageDomainSeparator: Hex;
  /** EIP-712 encodeType of Usage (a struct with no nested types): "Usage(uint256 sessionId,uint256 elapsedSeconds)". */
  readonly #usageTypeHash: Hex = keccak256(toHex(`Usage(${usageTypes.Usage.map((field) => `${field.type} ${field.name}`).join(",")})`));
  readonly #proofDomain: TypedDataDomain;

  constructor(chainId: number, deposits: Address) {
    const domain = ws402Domain(chainId, deposits);
    this.#usageDomainSeparator = hashDomain({
      domain: { name: domain.name!, version: domain.version!, chainId: BigInt(chainId), verifyingContract: deposits },
      types: { EIP712Domain: EIP712_DOMAIN_TYPE, ...usageTypes },
    });
    this.#proofDomain = ws402GatewayDomain(chainId, deposits);
    // The fast digest must equal viem's full EIP-712 hash (and so the contract's hashUsage): checked once here.
    const sample = { sessionId: 7n, elapsedSeconds: 42n };
    if (
      this.usageDigest(sample.sessionId, sample.elapsedSeconds) !==
      hashTypedData({ domain, types: usageTypes, primaryType: "Usage", message: sample })
    ) {
      throw new Error("Usage digest does not match EIP-712 hashing");
    }
  }

  /** The digest of `Usage(sessionId, elapsedSeconds)` that the contract's `hashUsage` returns. */
  usageDigest(sessionId: bigint, elapsedSeconds: bigint | number): Hex {
    // keccak256(abi.encode(USAGE_TYPEHASH, sessionId, elapsedSeconds)), as the contract hashes it; equal to
    // viem's hashStruct of the sdk's type (checked in the constructor).
    const structHash = keccak256(
      concat([this.#usageTypeHash, toHex(sessionId, { size: 32 }), toHex(BigInt(elapsedSeconds), { size: 32 })]),
    );
    return keccak256(concat(["0x1901", this.#usageDomainSeparator, structHash]));
  }

  proofDigest(proof: PaymentProof): Hex {
    return hashTypedData({ domain: this.#proofDomain, types: paymentProofTypes, primaryType: "PaymentProof", message: proof });
  }

  /** The address that signed the receipt, or undefined when the signature is invalid. */
  usageSigner(sessionId: bigint, elapsedSeconds: number, signature: string): Address | undefined {
    return recoverSigner(this.usageDigest(sessionId, elapsedSeconds), signature);
  }

  /** Whether the session key with this public key signed the receipt (r and s; see verifySignature). */
  verifyUsage(sessionId: bigint, elapsedSeconds: number, signature: string, publicKey: Uint8Array): boolean {
    return verifySignature(this.usageDigest(sessionId, elapsedSeconds), signature, publicKey);
  }

  /** The receipt's signature with the v byte the contract needs (see withRecoveryByte). */
  settleableUsage(sessionId: bigint, elapsedSeconds: number, signature: Hex, signer: Address): Hex | undefined {
    return withRecoveryByte(this.usageDigest(sessionId, elapsedSeconds), signature, signer);
  }

  /** The public key that signed the proof, or undefined when the signature is invalid. */
  proofPublicKey(proof: PaymentProof, signature: string): Uint8Array | undefined {
    return recoverPublicKey(this.proofDigest(proof), signature);
  }

  proofSigner(proof: PaymentProof, signature: string): Address | undefined {
    return recoverSigner(this.proofDigest(proof), signature);
  }
}
