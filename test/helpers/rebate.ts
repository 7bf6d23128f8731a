/**
 * Shared set-up for the RebatePool tests: the deployment order (pool → market → bind), content registration,
 * purchases, and receipts signed with the sdk's EIP-712 types, plus a bigint mirror of the pool's payout rule.
 */
import type { Address, Hex, LocalAccount } from "viem";
import { keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { ContractReturnType, WalletClient } from "@nomicfoundation/hardhat-viem/types";
import { delegationTypes, rebatePoolDomain, receiptTypes, type SignedReceipt } from "@web3torrent/sdk/eip712";
import type { Viem } from "./escrowSetup.ts";
import { MIN_COMMITMENT_AGE, registerAs } from "./registration.ts";

export type Pool = ContractReturnType<"RebatePool">;
export type Market = ContractReturnType<"LicenseMarket">;

export const DAY = 86_400n;
export const EPOCH_DURATION = DAY;
export const ALLOWANCE_EXPIRY = 30n * DAY;
export const BPS = 10_000n;
/** The market's caps, used as the fee settings throughout: network 10%, bounty 20%. */
export const MAX_NETWORK_FEE_BPS = 1_000;
export const MAX_BOUNTY_FEE_BPS = 2_000;
export const LINEAR = 0;

/** What `registerContent` takes; tests override the fields they care about. */
export interface ContentOptions {
  size: bigint;
  basePrice: bigint;
  growth?: bigint;
  bountyFeeBps?: number;
  transferable?: boolean;
}

/**
 * Deploys a pool and its market and binds the market to the pool, in the order the Ignition module does (the market
 * takes the pool's address, the pool is bound once). Defaults: the test epoch and expiry, the network fee at its cap.
 */
export async function deployPoolAndMarket(
  viem: Viem,
  owner: Address,
  options: { networkFeeBps?: number; uri?: string } = {},
): Promise<{ pool: Pool; market: Market }> {
  const pool = await viem.deployContract("RebatePool", [owner, Number(EPOCH_DURATION), Number(ALLOWANCE_EXPIRY)]);
  const market = await viem.deployContract("LicenseMarket", [
    owner,
    pool.address,
    options.networkFeeBps ?? MAX_NETWORK_FEE_BPS,
    options.uri ?? "",
    MIN_COMMITMENT_AGE,
  ]);
  await pool.write.bindLicenseMarket([market.address]);
  return { pool, market };
}

let infohashCounter = 0n;

/** Registers a content as `publisher` (commit, then reveal) and returns its id. Each call uses a fresh infohash. */
export async function registerContent(market: Market, publisher: WalletClient, options: ContentOptions): Promise<bigint> {
  infohashCounter += 1n;
  return registerAs(market.address, publisher, {
    infohash: keccak256(toHex(`w3t test content ${infohashCounter} ${Date.now()}`)),
    size: options.size,
    payout: publisher.account.address,
    basePrice: options.basePrice,
    curve: LINEAR,
    growth: options.growth ?? 0n,
    maxSupply: 0n,
    bountyFeeBps: options.bountyFeeBps ?? MAX_BOUNTY_FEE_BPS,
    transferable: options.transferable ?? false,
    metadataURI: "",
  });
}

/** Buys `quantity` licenses of `contentId` for `recipient` (paid by `buyer`); returns the quote. */
export async function buy(
  market: Market,
  buyer: WalletClient,
  contentId: bigint,
  recipient: Address = buyer.account.address,
  quantity = 1n,
) {
  const [curvePrice, networkFee, bountyFee, total] = await market.read.quote([contentId, quantity]);
  await market.write.buy([contentId, quantity, recipient, total], { account: buyer.account, value: total });
  return { curvePrice, networkFee, bountyFee, total, allowance: bountyFee, weightBudget: networkFee };
}

/** A fresh session key, as the client generates one per download. */
export function newSessionKey(): LocalAccount {
  return privateKeyToAccount(generatePrivateKey());
}

/** Something that can sign EIP-712 data: a Hardhat wallet client or a local account. */
type TypedDataSigner = WalletClient | LocalAccount;

function isLocalAccount(signer: TypedDataSigner): signer is LocalAccount {
  return signer.type === "local";
}

/** Where signatures are bound: the pool's address and the chain id (overridable to test replay). */
export interface SigningDomain {
  chainId: number | bigint;
  pool: Address;
}

/** `signer` signs `Delegation(wallet, sessionKey, expiry)` (`signer` is the wallet's key: itself, or its owner). */
export function signDelegation(signer: TypedDataSigner, domain: SigningDomain, wallet: Address, sessionKey: Address, expiry: bigint) {
  const typedData = {
    domain: rebatePoolDomain(domain.chainId, domain.pool),
    types: delegationTypes,
    primaryType: "Delegation",
    message: { wallet, sessionKey, expiry },
  } as const;
  return isLocalAccount(signer) ? signer.signTypedData(typedData) : signer.signTypedData({ ...typedData, account: signer.account });
}

export interface ReceiptFields {
  leecher: Address;
  seeder: Address;
  contentId: bigint;
  cumulativeBytes: bigint;
}

export function signReceipt(sessionKey: LocalAccount, domain: SigningDomain, receipt: ReceiptFields) {
  return sessionKey.signTypedData({
    domain: rebatePoolDomain(domain.chainId, domain.pool),
    types: receiptTypes,
    primaryType: "Receipt",
    message: receipt,
  });
}

/**
 * A leecher's download session: the wallet delegates a session key once, then the key signs receipts silently.
 * `domain` defaults to the pool under test; pass another to produce signatures bound elsewhere.
 */
export class LeecherSession {
  readonly sessionKey: LocalAccount;
  private delegationSig?: Hex;

  constructor(
    readonly wallet: TypedDataSigner,
    readonly leecher: Address,
    readonly expiry: bigint,
    readonly domain: SigningDomain,
    sessionKey: LocalAccount = newSessionKey(),
  ) {
    this.sessionKey = sessionKey;
  }

  async delegation(): Promise<Hex> {
    this.delegationSig ??= await signDelegation(this.wallet, this.domain, this.leecher, this.sessionKey.address, this.expiry);
    return this.delegationSig;
  }

  async receipt(seeder: Address, contentId: bigint, cumulativeBytes: bigint): Promise<SignedReceipt> {
    return {
      leecher: this.leecher,
      contentId,
      cumulativeBytes,
      sessionKey: this.sessionKey.address,
      delegationExpiry: this.expiry,
      delegationSig: await this.delegation(),
      receiptSig: await signReceipt(this.sessionKey, this.domain, {
        leecher: this.leecher,
        seeder,
        contentId,
        cumulativeBytes,
      }),
    };
  }
}

/** The pool's payout rule, in bigint: credit up to the room left under `size`, pay remaining × credited ÷ room. */
export function creditLicense(remaining: bigint, bytesCredited: bigint, size: bigint, newBytes: bigint) {
  const room = size > bytesCredited ? size - bytesCredited : 0n;
  const credited = newBytes < room ? newBytes : room;
  const payout = credited === 0n ? 0n : (remaining * credited) / room;
  return { credited, payout };
}

/** Lower-cases every address inside `value`: wallet clients give lower-case addresses, decoded values checksummed. */
export function lowerAddresses<T>(value: T): T {
  if (typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value)) return value.toLowerCase() as T;
  if (Array.isArray(value)) return value.map(lowerAddresses) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, lowerAddresses(v)])) as T;
  }
  return value;
}
