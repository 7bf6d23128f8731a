/**
 * The EIP-712 domains and types of every signed message in Web3Torrent, in one place.
 * The contracts hash the same type strings; the contract tests sign with these definitions.
 */
import type { Address, ContractFunctionArgs, Hex, TypedDataDomain } from "viem";
import type { rebatePoolAbi } from "./generated/contracts.ts";

/** Domain names and version, as each contract passes them to OpenZeppelin's EIP712 constructor. */
export const DOMAIN_VERSION = "1";
export const ESCROW_DOMAIN_NAME = "Web3Torrent CheckpointEscrow";
export const REBATE_POOL_DOMAIN_NAME = "Web3Torrent RebatePool";
export const WS402_DOMAIN_NAME = "Web3Torrent WS402Deposits";

/** A domain bound to `chainId` only: for proofs no contract verifies (the wire's, the tracker's). */
function chainDomain(name: string, chainId: number | bigint): TypedDataDomain {
  return { name, version: DOMAIN_VERSION, chainId: Number(chainId) };
}

function domain(name: string, chainId: number | bigint, verifyingContract: Address): TypedDataDomain {
  return { ...chainDomain(name, chainId), verifyingContract };
}

export const escrowDomain = (chainId: number | bigint, escrow: Address) => domain(ESCROW_DOMAIN_NAME, chainId, escrow);
export const rebatePoolDomain = (chainId: number | bigint, pool: Address) => domain(REBATE_POOL_DOMAIN_NAME, chainId, pool);
export const ws402Domain = (chainId: number | bigint, deposits: Address) => domain(WS402_DOMAIN_NAME, chainId, deposits);
/** The `w3t_pay` wire's own proofs (off-chain only: no contract verifies them, hence no verifying contract). */
export const WIRE_DOMAIN_NAME = "Web3Torrent w3t_pay";
export const wireDomain = (chainId: number | bigint) => chainDomain(WIRE_DOMAIN_NAME, chainId);
/** The tracker is no contract: its proofs are bound to the chain of the market it checks. */
export const TRACKER_DOMAIN_NAME = "Web3Torrent Tracker";
export const trackerDomain = (chainId: number | bigint) => chainDomain(TRACKER_DOMAIN_NAME, chainId);

/**
 * Signed by the leecher's session key in its hello: it holds the key, and speaks on this wire only — the torrent,
 * both peers' ids and the seeder's fresh nonce from its terms.
 */
export const wireAdmissionTypes = {
  WireAdmission: [
    { name: "infohash", type: "bytes20" },
    { name: "seederPeerId", type: "bytes20" },
    { name: "leecherPeerId", type: "bytes20" },
    { name: "seederNonce", type: "bytes32" },
  ],
} as const;

/**
 * Signed by the seeder's payout key (or a key the payout address delegated): `seeder` is paid for what it sends on
 * this wire — the torrent, both peers' ids and the leecher's fresh nonce from its hello.
 */
export const wireIdentityTypes = {
  WireIdentity: [
    { name: "infohash", type: "bytes20" },
    { name: "seederPeerId", type: "bytes20" },
    { name: "leecherPeerId", type: "bytes20" },
    { name: "leecherNonce", type: "bytes32" },
    { name: "seeder", type: "address" },
  ],
} as const;

/** Signed by the download's session key: the seeder may redeem `cumulativeAmount` in total from `escrowId`. */
export const voucherTypes = {
  Voucher: [
    { name: "escrowId", type: "uint256" },
    { name: "seeder", type: "address" },
    { name: "cumulativeBytes", type: "uint256" },
    { name: "cumulativeAmount", type: "uint256" },
  ],
} as const;

/**
 * Signed by the download's session key when the download ends: the escrow may be closed (its challenge window starts).
 * Anyone may submit it; the seeder does, with its last voucher and its waiver (`settleClose`), so the leecher's
 * wallet is not prompted.
 */
export const closeTypes = {
  Close: [{ name: "escrowId", type: "uint256" }],
} as const;

/** Signed by the leecher's session key: `seeder` has served `cumulativeBytes` of `contentId` to `leecher` in total. */
export const receiptTypes = {
  Receipt: [
    { name: "leecher", type: "address" },
    { name: "seeder", type: "address" },
    { name: "contentId", type: "uint256" },
    { name: "cumulativeBytes", type: "uint256" },
  ],
} as const;

/**
 * Signed once by the leecher's wallet: `sessionKey` may sign receipts for `wallet` until `expiry` (unix seconds).
 * Naming the wallet keeps a smart wallet that checks its owner's signature over the raw digest from accepting one
 * delegation for every wallet of that owner.
 */
export const delegationTypes = {
  Delegation: [
    { name: "wallet", type: "address" },
    { name: "sessionKey", type: "address" },
    { name: "expiry", type: "uint64" },
  ],
} as const;

/**
 * Signed by a session key: announcing `peerId` in the swarm of `infohash` at `issuedAtMs` (unix milliseconds: a
 * proof signed again right after a use differs from it, where seconds would sign the same message twice).
 */
export const trackerAnnounceTypes = {
  TrackerAnnounce: [
    { name: "infohash", type: "bytes32" },
    { name: "peerId", type: "bytes20" },
    { name: "issuedAtMs", type: "uint64" },
  ],
} as const;

/** Signed by the WS402 session key: the session has been used for `elapsedSeconds` in total. */
export const usageTypes = {
  Usage: [
    { name: "sessionId", type: "uint256" },
    { name: "elapsedSeconds", type: "uint256" },
  ],
} as const;

export interface Voucher {
  escrowId: bigint;
  seeder: Address;
  cumulativeBytes: bigint;
  cumulativeAmount: bigint;
}

export interface Receipt {
  leecher: Address;
  seeder: Address;
  contentId: bigint;
  cumulativeBytes: bigint;
}

/** A receipt as `RebatePool.submitReceipts` takes it: with the leecher's delegation of its session key and both signatures. */
export type SignedReceipt = ContractFunctionArgs<typeof rebatePoolAbi, "nonpayable", "submitReceipts">[1][number];

export interface Delegation {
  wallet: Address;
  sessionKey: Address;
  expiry: bigint;
}

export interface Usage {
  sessionId: bigint;
  elapsedSeconds: bigint;
}

export interface TrackerAnnounce {
  infohash: Hex;
  peerId: Hex;
  issuedAtMs: bigint;
}
