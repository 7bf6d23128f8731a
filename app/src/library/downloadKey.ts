/**
 * The download session key: generated in this tab, authorised once by a wallet `Delegation` signature, then kept
 * in sessionStorage (per account and chain) until shortly before the delegation expires, so the next downloads in
 * this tab ask the wallet only for the escrow deposit.
 */
import { createDownloadKey, type DownloadKey } from "@web3torrent/sdk/paidDownload";
import { DEFAULT_DELEGATION_TTL_SECONDS, SessionKey } from "@web3torrent/sdk/sessionKey";
import type { Address, Hex, WalletClient } from "viem";

const STORAGE_PREFIX = "w3t:download-key:";
/** A key whose delegation expires within this margin is replaced (seeders refuse delegations about to expire). */
const EXPIRY_MARGIN_SECONDS = 3_600n;

interface StoredKey {
  privateKey: Hex;
  account: Address;
  sessionKey: Address;
  expiry: string;
  signature: Hex;
}

function storageKey(chainId: number, account: Address): string {
  return `${STORAGE_PREFIX}${chainId}:${account.toLowerCase()}`;
}

export function loadDownloadKey(chainId: number, account: Address, nowSeconds = BigInt(Math.floor(Date.now() / 1000))): DownloadKey | null {
  try {
    const raw = sessionStorage.getItem(storageKey(chainId, account));
    if (!raw) return null;
    const stored = JSON.parse(raw) as StoredKey;
    const expiry = BigInt(stored.expiry);
    if (expiry < nowSeconds + EXPIRY_MARGIN_SECONDS) return null;
    const sessionKey = SessionKey.fromPrivateKey(stored.privateKey);
    if (sessionKey.address !== stored.sessionKey) return null;
    return { sessionKey, delegation: { account: stored.account, sessionKey: stored.sessionKey, expiry, signature: stored.signature } };
  } catch {
    return null;
  }
}

/**
 * The expiry a new delegation gets when it is asked for now: a day from now, to the minute, so the date the page
 * shows before the prompt is the one signed.
 */
export function newDelegationExpiry(nowSeconds = Math.floor(Date.now() / 1000)): bigint {
  return BigInt(nowSeconds - (nowSeconds % 60) + DEFAULT_DELEGATION_TTL_SECONDS);
}

/**
 * The tab's key for `account`, asking the wallet for the delegation (until `expiry`) only when there is none (one
 * signature).
 */
export async function downloadKeyFor(
  walletClient: WalletClient,
  account: Address,
  ctx: { chainId: number; rebatePool: Address },
  expiry: bigint = newDelegationExpiry(),
): Promise<DownloadKey> {
  const existing = loadDownloadKey(ctx.chainId, account);
  if (existing) return existing;
  const key = await createDownloadKey(walletClient, account, ctx, expiry);
  const stored: StoredKey = {
    privateKey: key.sessionKey.exportPrivateKey(),
    account,
    sessionKey: key.sessionKey.address,
    expiry: key.delegation.expiry.toString(),
    signature: key.delegation.signature,
  };
  sessionStorage.setItem(storageKey(ctx.chainId, account), JSON.stringify(stored));
  return key;
}
