/**
 * Tracker announces that prove a license: the tracker introduces the peers of registered, priced content only to
 * peers whose account holds a license of it (or published it, or is paid for it), so nobody else learns who
 * downloads or seeds a title (their addresses travel in the WebRTC offers the tracker forwards).
 *
 * An announce carries `w3t`: the account, its session key, the wallet's `Delegation(wallet, sessionKey, expiry)`
 * (./eip712.ts, the one the rebate pool checks) and the session key's signature of
 * `TrackerAnnounce(infohash, peerId, issuedAtMs)`.
 *
 * Why this challenge, and not a nonce sent by the tracker: bittorrent-tracker's client reads announce options from
 * a synchronous hook (`getAnnounceOpts`) and has no round trip in which a tracker nonce could be signed, so a
 * nonce would mean forking the client. Instead the proof binds the infohash (no use for another title), the
 * BitTorrent peer id (the tracker checks it against the announce's own), and the time (the tracker accepts it for
 * `ANNOUNCE_PROOF_WINDOW_SECONDS`); and the tracker binds each signature to the first WebSocket that used it, so an
 * announce replayed on another connection (another peer) is refused. The client signs a fresh proof after every
 * use, so its own reconnects never reuse one.
 *
 *   const credentials = new TrackerCredentials({ chainId, signer: key.sessionKey, delegation: key.delegation });
 *   await credentials.prepare(infoHash, client.peerId);
 *   client.add(magnet, { getAnnounceOpts: () => credentials.announceOpts(infoHash, client.peerId) });
 */
import type { Address, Hex, TypedDataDomain } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { trackerAnnounceTypes, trackerDomain, type TrackerAnnounce } from "./eip712.ts";
import { infohashToBytes32 } from "./infohash.ts";
import { delegationTypedData, type SessionKey, type SignedDelegation } from "./sessionKey.ts";

/** How long a proof is accepted after it was signed; proofs from the future are accepted up to the clock skew. */
export const ANNOUNCE_PROOF_WINDOW_SECONDS = 300;
export const ANNOUNCE_PROOF_MAX_SKEW_SECONDS = 60;

/** The `w3t` field of an announce, as JSON (bigints as decimal strings). */
export interface AnnounceProof {
  account: Address;
  sessionKey: Address;
  /** The delegation's expiry, unix seconds. */
  expiry: string;
  delegation: Hex;
  issuedAtMs: string;
  signature: Hex;
}

/** Whatever signs EIP-712 data: a SessionKey's account, or a viem LocalAccount (the headless seeder's own key). */
export interface TypedDataSigner {
  readonly address: Address;
  signTypedData(args: {
    domain: TypedDataDomain;
    types: typeof trackerAnnounceTypes;
    primaryType: "TrackerAnnounce";
    message: TrackerAnnounce;
  }): Promise<Hex>;
}

/** A session key as a tracker proof signer. */
export function sessionKeySigner(key: SessionKey): TypedDataSigner {
  return privateKeyToAccount(key.exportPrivateKey());
}

/** A BitTorrent peer id (hex, 40 characters) as EIP-712 bytes20. */
export function peerIdToBytes20(peerId: string): Hex {
  if (!/^[0-9a-fA-F]{40}$/.test(peerId)) throw new RangeError(`not a peer id: ${peerId}`);
  return `0x${peerId.toLowerCase()}`;
}

export function trackerAnnounceMessage(infoHash: string, peerId: string, issuedAtMs: bigint): TrackerAnnounce {
  return { infohash: infohashToBytes32(infoHash), peerId: peerIdToBytes20(peerId), issuedAtMs };
}

const MS_PER_SECOND = 1000;
/** Proofs are re-signed well before the tracker's window closes, even for a torrent that does not announce. */
const REFRESH_MS = (ANNOUNCE_PROOF_WINDOW_SECONDS * MS_PER_SECOND) / 3;
/**
 * A proof nobody asked for this long belongs to a torrent that is gone (WebTorrent peers announce every few
 * minutes): it is no longer refreshed, and the timer stops with the last one. No torrent has to call `forget`.
 */
const UNUSED_MS = 3 * ANNOUNCE_PROOF_WINDOW_SECONDS * MS_PER_SECOND;

/**
 * A peer's tracker proofs, one per torrent: `announceOpts` is bittorrent-tracker's synchronous hook, so each proof
 * is signed ahead (by `prepare`, then again after every use and every `REFRESH_MS`). One instance serves every
 * torrent of a peer.
 */
export class TrackerCredentials {
  readonly #chainId: number;
  readonly #signer: TypedDataSigner;
  readonly #delegation: SignedDelegation;
  readonly #proofs = new Map<string, { proof: AnnounceProof; at: number; usedAt: number; signing: boolean }>();
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor({ chainId, signer, delegation }: { chainId: number; signer: TypedDataSigner; delegation: SignedDelegation }) {
    this.#chainId = chainId;
    this.#signer = signer;
    this.#delegation = delegation;
  }

  /** Signs the first proof of `infoHash` for `peerId` (hex): await it before the torrent's first announce. */
  async prepare(infoHash: string, peerId: string): Promise<void> {
    await this.#sign(infoHash, peerId);
  }

  /** The announce options (`getAnnounceOpts`) of `infoHash`: its latest proof; a fresh one is signed for next time. */
  announceOpts(infoHash: string, peerId: string): { w3t?: AnnounceProof } {
    const key = `${infoHash}:${peerId}`;
    const entry = this.#proofs.get(key);
    if (entry) entry.usedAt = Date.now();
    // A failed signature keeps the proof at hand, which the tracker accepts until it expires; the next announce signs again.
    void this.#sign(infoHash, peerId).catch(() => {});
    return entry ? { w3t: entry.proof } : {};
  }

  /** Stops refreshing every proof (a test's or a process's end; torrents that go away are dropped by themselves). */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #refreshStale(): void {
    const now = Date.now();
    for (const [key, entry] of this.#proofs) {
      if (now - entry.usedAt > UNUSED_MS) this.#proofs.delete(key);
      if (now - entry.usedAt > UNUSED_MS || now - entry.at < REFRESH_MS) continue;
      const [infoHash, peerId] = key.split(":");
      // As in announceOpts: the stale proof stays until a refresh succeeds.
      void this.#sign(infoHash, peerId).catch(() => {});
    }
    if (this.#proofs.size === 0) this.stop();
  }

  async #sign(infoHash: string, peerId: string): Promise<void> {
    const key = `${infoHash}:${peerId}`;
    const entry = this.#proofs.get(key);
    if (entry?.signing) return;
    if (entry) entry.signing = true;
    const issuedAtMs = BigInt(Date.now());
    try {
      const signature = await this.#signer.signTypedData({
        domain: trackerDomain(this.#chainId),
        types: trackerAnnounceTypes,
        primaryType: "TrackerAnnounce",
        message: trackerAnnounceMessage(infoHash, peerId, issuedAtMs),
      });
      const d = this.#delegation;
      const proof: AnnounceProof = {
        account: d.account,
        sessionKey: d.sessionKey,
        expiry: d.expiry.toString(),
        delegation: d.signature,
        issuedAtMs: issuedAtMs.toString(),
        signature,
      };
      const now = Date.now();
      this.#proofs.set(key, { proof, at: now, usedAt: this.#proofs.get(key)?.usedAt ?? now, signing: false });
      if (!this.#timer) {
        this.#timer = setInterval(() => this.#refreshStale(), REFRESH_MS);
        (this.#timer as { unref?: () => void }).unref?.();
      }
    } finally {
      if (entry) entry.signing = false;
    }
  }
}

/**
 * Tracker credentials of a wallet whose key is at hand (the headless seeder, paid as publisher, payout or license
 * holder): the key is its own session key. Delegating a key to itself grants nothing the key does not hold, so the
 * delegation's expiry protects nothing and is long.
 */
export async function ownKeyCredentials(privateKey: Hex, ctx: { chainId: number; rebatePool: Address }): Promise<TrackerCredentials> {
  const account = privateKeyToAccount(privateKey);
  const expiry = BigInt(Math.floor(Date.now() / MS_PER_SECOND) + OWN_KEY_DELEGATION_SECONDS);
  const message = { wallet: account.address, sessionKey: account.address, expiry };
  const signature = await account.signTypedData(delegationTypedData(ctx, message));
  return new TrackerCredentials({
    chainId: ctx.chainId,
    signer: account,
    delegation: { account: account.address, sessionKey: account.address, expiry, signature },
  });
}

const OWN_KEY_DELEGATION_SECONDS = 365 * 24 * 60 * 60;
