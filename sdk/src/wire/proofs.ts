/**
 * Who speaks on a `w3t_pay` wire. Each side proves its key over a fresh nonce of the other side, bound to this wire
 * (the torrent's infohash and both peers' BitTorrent ids), so that a message copied from another wire proves nothing:
 * - the seeder's terms carry its nonce; the leecher's hello carries `proof`, the session key's `WireAdmission`
 *   signature over it — the seeder admits nobody who cannot sign with the key its escrow (or delegation) names;
 * - the hello carries the leecher's nonce; once admitted, the seeder sends `identity`, a `WireIdentity` signature over
 *   it by its payout key, or by a key the payout address delegated (`Delegation`, as for rebate receipts: the tab
 *   seeder signs with the app's daily key rather than prompt the wallet per peer). The leecher books nothing to the
 *   seeder address before that proof.
 */
import { bytesToHex, isHex, recoverTypedDataAddress, type Address, type Hex, type LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { wireAdmissionTypes, wireDomain, wireIdentityTypes } from "../eip712.ts";
import { delegationTypedData, type SessionKey } from "../sessionKey.ts";

/** The wire a proof is bound to: the torrent and both peers' 20-byte ids (hex, as WebTorrent gives them). */
export interface WireBinding {
  infoHash: string;
  seederPeerId: string;
  leecherPeerId: string;
}

/** What each extension knows of its own side of a wire: the torrent and its client's peer id. */
export interface LocalPeer {
  infoHash: string;
  peerId: string;
}

/** The seeder's means to prove its payout address: that key itself, or a key the payout address delegated. */
export interface SeederIdentity {
  signer: LocalAccount;
  /** The payout address's `Delegation` of `signer`; null when `signer` is the payout account. */
  delegation: { expiry: bigint; signature: Hex } | null;
}

/** A fresh 32-byte nonce from the platform's CSPRNG. */
export function newNonce(): Hex {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
}

function bytes20(hex: string): Hex {
  const prefixed = (hex.startsWith("0x") ? hex : `0x${hex}`) as Hex;
  if (!isHex(prefixed) || prefixed.length !== 42) throw new Error(`not a 20-byte id: ${hex}`);
  return prefixed;
}

function admissionTypedData(chainId: number, wire: WireBinding, seederNonce: Hex) {
  return {
    domain: wireDomain(chainId),
    types: wireAdmissionTypes,
    primaryType: "WireAdmission" as const,
    message: {
      infohash: bytes20(wire.infoHash),
      seederPeerId: bytes20(wire.seederPeerId),
      leecherPeerId: bytes20(wire.leecherPeerId),
      seederNonce,
    },
  };
}

function identityTypedData(chainId: number, wire: WireBinding, leecherNonce: Hex, seeder: Address) {
  return {
    domain: wireDomain(chainId),
    types: wireIdentityTypes,
    primaryType: "WireIdentity" as const,
    message: {
      infohash: bytes20(wire.infoHash),
      seederPeerId: bytes20(wire.seederPeerId),
      leecherPeerId: bytes20(wire.leecherPeerId),
      leecherNonce,
      seeder,
    },
  };
}

/** The leecher's hello proof: its session key signs the seeder's nonce on this wire. */
export function signAdmission(key: SessionKey, chainId: number, wire: WireBinding, seederNonce: Hex): Promise<Hex> {
  return privateKeyToAccount(key.exportPrivateKey()).signTypedData(admissionTypedData(chainId, wire, seederNonce));
}

/** The key that signed a hello's proof (null when the signature does not parse). */
export function recoverAdmissionSigner(chainId: number, wire: WireBinding, seederNonce: Hex, proof: Hex): Promise<Address | null> {
  return recoverTypedDataAddress({ ...admissionTypedData(chainId, wire, seederNonce), signature: proof }).catch(() => null);
}

/** The seeder's identity proof for the leecher's nonce on this wire. */
export async function signIdentity(
  identity: SeederIdentity,
  chainId: number,
  wire: WireBinding,
  leecherNonce: Hex,
  seeder: Address,
): Promise<{ signer: Address; delegation: SeederIdentity["delegation"]; signature: Hex }> {
  const signature = await identity.signer.signTypedData(identityTypedData(chainId, wire, leecherNonce, seeder));
  return { signer: identity.signer.address, delegation: identity.delegation, signature };
}

/**
 * Whether an identity proves `seeder` on this wire: `signer` signed the leecher's nonce, and is the seeder itself or
 * a key the seeder delegated (ECDSA; not expired by the leecher's clock).
 */
export async function verifyIdentity(
  ctx: { chainId: number; rebatePool: Address },
  wire: WireBinding,
  leecherNonce: Hex,
  seeder: Address,
  proof: { signer: Address; delegation: SeederIdentity["delegation"]; signature: Hex },
  nowSeconds = BigInt(Math.floor(Date.now() / 1000)),
): Promise<boolean> {
  const signer = await recoverTypedDataAddress({
    ...identityTypedData(ctx.chainId, wire, leecherNonce, seeder),
    signature: proof.signature,
  }).catch(() => null);
  if (signer !== proof.signer) return false;
  if (proof.delegation === null) return signer === seeder;
  if (proof.delegation.expiry <= nowSeconds) return false;
  const delegator = await recoverTypedDataAddress({
    ...delegationTypedData(ctx, { wallet: seeder, sessionKey: signer, expiry: proof.delegation.expiry }),
    signature: proof.delegation.signature,
  }).catch(() => null);
  return delegator === seeder;
}
