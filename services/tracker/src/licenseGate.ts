/**
 * The tracker's license gate: the peers of registered, priced content are introduced only to peers that prove a
 * license of it (or are its publisher or payout), so nobody else learns who downloads or seeds a title — their
 * addresses travel in the WebRTC offers the tracker forwards. Free content and unregistered infohashes stay open.
 *
 * It plugs into bittorrent-tracker's own hooks: the server's `filter` (every announce; an error is sent back as
 * the announce's `failure reason`) and the swarm's peer pick (`admits`: a peer whose license check went stale or
 * failed is no longer introduced to anyone). The proof in each announce is sdk/src/trackerAuth.ts's `w3t` field.
 *
 * Rules of a gated announce (anything else is refused, in words):
 * - the proof is well formed; its infohash and peer id are the announce's own; it was signed at most
 *   `ANNOUNCE_PROOF_WINDOW_SECONDS` ago (and not beyond the clock skew ahead);
 * - its signature was not used on another WebSocket (a replayed announce is another peer's);
 * - the session key signed it and the account's Delegation of that key is valid and unexpired (signed by the
 *   account's key, or accepted by its contract wallet through ERC-1271);
 * - the account holds a license (`hasLicense`), or is the content's publisher or payout.
 * Answers to offers pass only from a connection admitted to that swarm; `stopped` always passes.
 *
 * The chain is the source of truth, cached: a registration is immutable (kept), an infohash found unregistered is
 * asked again after `UNREGISTERED_TTL_MS`; licenses of admitted peers are re-read every `LICENSE_SWEEP_MS` once
 * older than `LICENSE_TTL_MS`, and a check older than `LICENSE_MAX_AGE_MS` admits nobody (fails closed when the
 * chain is unreachable). So a license sold or transferred away stops introductions of its holder within
 * LICENSE_TTL_MS + LICENSE_SWEEP_MS (30 s) plus one chain read, and within LICENSE_MAX_AGE_MS (60 s) at worst.
 * A delegation signed by a key is a fact that never changes (kept until its expiry, when its peer stops being
 * introduced); a contract wallet's ERC-1271 answer can change (the wallet revokes it), so it is cached and re-read
 * like a license, within the same bounds.
 */
import { recoverTypedDataAddress, type Address, type Hex, type PublicClient } from "viem";
import { delegationTypes } from "@web3torrent/sdk/eip712";
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import { infohashToBytes32 } from "@web3torrent/sdk/infohash";
import { delegationTypedData } from "@web3torrent/sdk/sessionKey";
import { trackerAnnounceTypes, trackerDomain } from "@web3torrent/sdk/eip712";
import {
  ANNOUNCE_PROOF_MAX_SKEW_SECONDS,
  ANNOUNCE_PROOF_WINDOW_SECONDS,
  trackerAnnounceMessage,
  type AnnounceProof,
} from "@web3torrent/sdk/trackerAuth";

export const LICENSE_TTL_MS = 20_000;
export const LICENSE_SWEEP_MS = 10_000;
export const LICENSE_MAX_AGE_MS = 60_000;
export const UNREGISTERED_TTL_MS = 10_000;
/** Signatures remembered against replay; beyond this many live ones, gated announces wait (a flood, not a peer). */
export const MAX_REMEMBERED_PROOFS = 200_000;

const MS_PER_SECOND = 1000;
const CURVE_EXPONENTIAL = 1;

/** What the gate needs of a registration. */
export interface GatedContent {
  contentId: bigint;
  publisher: Address;
  payout: Address;
  /** Free content (every license costs 0) is open to all. */
  free: boolean;
}

/** The chain as the gate reads it (tests may count or fail the reads). */
export interface LicenseChain {
  /** The registration of `infohash` (bytes32), or null when it is not registered. */
  content(infohash: Hex): Promise<GatedContent | null>;
  hasLicense(account: Address, contentId: bigint): Promise<boolean>;
  /**
   * Whether `wallet` signed the Delegation: "key" when its key signed it (final), "wallet" when the contract wallet
   * accepts it through ERC-1271 (which the wallet may revoke), null when neither.
   */
  verifyDelegation(d: { wallet: Address; sessionKey: Address; expiry: bigint; signature: Hex }): Promise<DelegationProof>;
}

/** How a Delegation was proved (see `LicenseChain.verifyDelegation`). */
export type DelegationProof = "key" | "wallet" | null;

/** The LicenseMarket and RebatePool read through viem. */
export function viemLicenseChain(publicClient: PublicClient, chainId: number, market: Address, rebatePool: Address): LicenseChain {
  return {
    async content(infohash) {
      const contentId = await publicClient.readContract({
        address: market,
        abi: licenseMarketAbi,
        functionName: "contentIdOf",
        args: [infohash],
      });
      if (contentId === 0n) return null;
      const [c, logs] = await Promise.all([
        publicClient.readContract({ address: market, abi: licenseMarketAbi, functionName: "content", args: [contentId] }),
        publicClient.getContractEvents({
          address: market,
          abi: licenseMarketAbi,
          eventName: "ContentRegistered",
          args: { contentId },
          fromBlock: 0n,
        }),
      ]);
      const publisher = (logs[0]?.args as { publisher?: Address } | undefined)?.publisher ?? c.payout;
      const free = c.basePrice === 0n && (c.growth === 0n || c.curve === CURVE_EXPONENTIAL);
      return { contentId, publisher, payout: c.payout, free };
    },
    hasLicense: (account, contentId) =>
      publicClient.readContract({ address: market, abi: licenseMarketAbi, functionName: "hasLicense", args: [account, contentId] }),
    // ECDSA first (no chain read), else the chain (ERC-1271, ERC-6492 wallets). A chain that cannot answer throws
    // (the announce is refused for now, not judged forged).
    async verifyDelegation(d) {
      const message = { wallet: d.wallet, sessionKey: d.sessionKey, expiry: d.expiry };
      const typed = delegationTypedData({ chainId, rebatePool }, message);
      const signer = await recoverTypedDataAddress({ ...typed, signature: d.signature }).catch(() => null);
      if (signer?.toLowerCase() === d.wallet.toLowerCase()) return "key";
      const valid = await publicClient.verifyTypedData({
        address: d.wallet,
        domain: typed.domain,
        types: delegationTypes,
        primaryType: "Delegation",
        message,
        signature: d.signature,
      });
      return valid ? "wallet" : null;
    },
  };
}

/** The cache's clock (tests shorten it); defaults are the constants above. */
export interface LicenseGateTimings {
  licenseTtlMs?: number;
  licenseSweepMs?: number;
  licenseMaxAgeMs?: number;
}

/** Why the gate refused an announce. */
export class GateRefusal extends Error {}

interface Admission {
  account: Address;
  content: GatedContent;
  /** The delegation's expiry, unix seconds: its peer is introduced until then. */
  expiry: bigint;
  /** The cache key of a delegation a contract wallet accepted (re-read like a license); null when a key signed it. */
  walletDelegation: string | null;
  /** What re-reads the wallet's answer. */
  delegation: { wallet: Address; sessionKey: Address; expiry: bigint; signature: Hex };
}

/** A cached chain answer that can change: a license, or a contract wallet's acceptance of a delegation. */
interface ChainCheck {
  ok: boolean;
  at: number;
  reading?: Promise<boolean>;
}

interface AnnounceParams {
  info_hash: string;
  peer_id: string;
  socket?: object;
  event?: string;
  answer?: unknown;
  w3t?: unknown;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
const UINT = /^[0-9]{1,20}$/;

function parseProof(raw: unknown): AnnounceProof | null {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
  const p = raw as Record<string, unknown>;
  const str = (key: string, re: RegExp) => typeof p[key] === "string" && re.test(p[key] as string);
  if (Object.keys(p).length !== 6) return null;
  if (!str("account", ADDRESS) || !str("sessionKey", ADDRESS) || !str("delegation", SIGNATURE) || !str("signature", SIGNATURE)) return null;
  if (!str("expiry", UINT) || !str("issuedAtMs", UINT)) return null;
  return p as unknown as AnnounceProof;
}

export class LicenseGate {
  readonly #chain: LicenseChain;
  readonly #chainId: number;
  readonly #contents = new Map<string, { content: GatedContent | null; at: number; reading?: Promise<GatedContent | null> }>();
  /** License checks (`licenseKey`) and contract wallets' delegation checks (`delegationKey`). */
  readonly #checks = new Map<string, ChainCheck>();
  /** Delegations signed by a key (or refused): facts that never change. */
  readonly #delegations = new Map<string, boolean>();
  /** signature → the WebSocket that used it first, and when it stops being accepted anyway. */
  readonly #proofs = new Map<string, { socket: object; until: number }>();
  /** Live WebSocket → infohash → what it was admitted as. */
  readonly #admissions = new Map<object, Map<string, Admission>>();
  readonly #sweep: ReturnType<typeof setInterval>;
  /** Announces refused, by rule (for the statistics and the tests). */
  readonly refused = { noProof: 0, malformed: 0, stale: 0, replayed: 0, badSignature: 0, unlicensed: 0, chain: 0 };

  readonly #ttl: number;
  readonly #maxAge: number;

  constructor(chain: LicenseChain, chainId: number, timings: LicenseGateTimings = {}) {
    this.#chain = chain;
    this.#chainId = chainId;
    this.#ttl = timings.licenseTtlMs ?? LICENSE_TTL_MS;
    this.#maxAge = timings.licenseMaxAgeMs ?? LICENSE_MAX_AGE_MS;
    this.#sweep = setInterval(() => this.#refreshLicenses(), timings.licenseSweepMs ?? LICENSE_SWEEP_MS);
    this.#sweep.unref();
  }

  /** trackerLimits' `isRegistered`: what the gate knows now (a registration not read yet counts as unregistered). */
  isRegistered = (infoHash: string): boolean => Boolean(this.#contents.get(infoHash)?.content);

  /** bittorrent-tracker's server `filter`: `cb(error)` refuses with `error.message` as the failure reason. */
  filter = (infoHash: string, params: AnnounceParams, cb: (error?: Error | null) => void): void => {
    this.#check(infoHash, params).then(
      () => cb(null),
      (error: unknown) => {
        if (!(error instanceof GateRefusal)) this.refused.chain++;
        cb(error instanceof GateRefusal ? error : new Error("the tracker cannot check licenses right now; retrying later"));
      },
    );
  };

  /**
   * Whether the swarm may introduce the peer on `socket` (sync, from the cache): open content, or an unexpired
   * delegation (freshly accepted, for a contract wallet) and a fresh license.
   */
  admits(infoHash: string, socket: object | undefined): boolean {
    const entry = this.#contents.get(infoHash);
    if (!entry?.content || entry.content.free) return true;
    const admission = socket && this.#admissions.get(socket)?.get(infoHash);
    if (!admission) return false;
    if (admission.expiry <= BigInt(Math.floor(Date.now() / MS_PER_SECOND))) return false;
    if (admission.walletDelegation && !this.#fresh(admission.walletDelegation)) return false;
    return this.#owns(admission.account, admission.content) || this.#fresh(licenseKey(admission.account, admission.content.contentId));
  }

  #fresh(key: string): boolean {
    const check = this.#checks.get(key);
    return Boolean(check?.ok && Date.now() - check.at <= this.#maxAge);
  }

  socketClosed(socket: object): void {
    this.#admissions.delete(socket);
  }

  close(): void {
    clearInterval(this.#sweep);
  }

  async #check(infoHash: string, params: AnnounceParams): Promise<void> {
    const content = await this.#content(infoHash);
    if (!content || content.free) return;
    const socket = params.socket;
    if (!socket) throw new GateRefusal("this tracker serves licensed content over WebSocket only");
    if (params.event === "stopped") return;
    if (params.answer !== undefined) {
      if (this.admits(infoHash, socket)) return;
      this.refused.unlicensed++;
      throw new GateRefusal("not admitted to this swarm: announce with a license proof first");
    }
    if (params.w3t === undefined) {
      this.refused.noProof++;
      throw new GateRefusal("licensed content: announce with a license proof (w3t: account, session key, delegation, signature)");
    }
    const proof = parseProof(params.w3t);
    if (!proof) {
      this.refused.malformed++;
      throw new GateRefusal("malformed license proof");
    }
    const now = Date.now();
    const issuedAt = Number(proof.issuedAtMs);
    if (
      issuedAt < now - ANNOUNCE_PROOF_WINDOW_SECONDS * MS_PER_SECOND ||
      issuedAt > now + ANNOUNCE_PROOF_MAX_SKEW_SECONDS * MS_PER_SECOND
    ) {
      this.refused.stale++;
      throw new GateRefusal(`stale license proof: sign it within ${ANNOUNCE_PROOF_WINDOW_SECONDS} s of the announce (check the clock)`);
    }
    const signature = proof.signature.toLowerCase();
    this.#forgetExpiredProofs(now);
    const seen = this.#proofs.get(signature);
    if (seen && seen.socket !== socket) {
      this.refused.replayed++;
      throw new GateRefusal("replayed license proof: it was used on another connection");
    }
    if (!seen && this.#proofs.size >= MAX_REMEMBERED_PROOFS) throw new GateRefusal("too many announces: retry later");
    const signer = await recoverTypedDataAddress({
      domain: trackerDomain(this.#chainId),
      types: trackerAnnounceTypes,
      primaryType: "TrackerAnnounce",
      message: trackerAnnounceMessage(infoHash, params.peer_id, BigInt(proof.issuedAtMs)),
      signature: proof.signature,
    }).catch(() => null);
    if (signer?.toLowerCase() !== proof.sessionKey.toLowerCase()) {
      this.refused.badSignature++;
      throw new GateRefusal("license proof not signed by its session key for this infohash and peer id");
    }
    // Claimed before the chain reads: a replay racing the first use on another connection is refused too.
    this.#proofs.set(
      signature,
      seen ?? { socket, until: issuedAt + (ANNOUNCE_PROOF_WINDOW_SECONDS + ANNOUNCE_PROOF_MAX_SKEW_SECONDS) * MS_PER_SECOND },
    );
    const expiry = BigInt(proof.expiry);
    if (expiry <= BigInt(Math.floor(now / MS_PER_SECOND))) {
      this.refused.badSignature++;
      throw new GateRefusal("the session key's delegation expired");
    }
    const account = proof.account;
    const delegation = { wallet: account, sessionKey: proof.sessionKey, expiry, signature: proof.delegation };
    const delegated = await this.#delegated(delegation);
    if (!delegated) {
      this.refused.badSignature++;
      throw new GateRefusal("the delegation of the session key is not signed by the account (nor accepted by its wallet)");
    }
    if (
      !this.#owns(account, content) &&
      !(await this.#checked(licenseKey(account, content.contentId), () => this.#chain.hasLicense(account, content.contentId)))
    ) {
      this.refused.unlicensed++;
      throw new GateRefusal(`no license of content ${content.contentId}: buy one to join its swarm`);
    }
    const admissions = this.#admissions.get(socket) ?? new Map<string, Admission>();
    this.#admissions.set(socket, admissions);
    admissions.set(infoHash, {
      account,
      content,
      expiry,
      walletDelegation: delegated === "wallet" ? delegationKey(delegation) : null,
      delegation,
    });
  }

  #owns(account: Address, content: GatedContent): boolean {
    const a = account.toLowerCase();
    return a === content.publisher.toLowerCase() || a === content.payout.toLowerCase();
  }

  async #content(infoHash: string): Promise<GatedContent | null> {
    const entry = this.#contents.get(infoHash);
    if (entry?.content) return entry.content;
    if (entry?.reading) return entry.reading;
    if (entry && Date.now() - entry.at < UNREGISTERED_TTL_MS) return null;
    const reading = this.#chain.content(infohashToBytes32(infoHash));
    this.#contents.set(infoHash, { content: null, at: 0, reading });
    try {
      const content = await reading;
      this.#contents.set(infoHash, { content, at: Date.now() });
      return content;
    } catch (error) {
      this.#contents.delete(infoHash);
      throw error;
    }
  }

  /** How the delegation is proved: by its key (kept), by its contract wallet (cached, re-read), or not at all. */
  async #delegated(d: Admission["delegation"]): Promise<DelegationProof> {
    const key = delegationKey(d);
    const known = this.#delegations.get(key);
    if (known !== undefined) return known ? "key" : null;
    const walletCheck = this.#checks.get(key);
    if (walletCheck && Date.now() - walletCheck.at <= this.#ttl) return walletCheck.ok ? "wallet" : null;
    const proof = await this.#chain.verifyDelegation(d);
    if (proof === "wallet" || walletCheck) {
      // A wallet's answer can change: cached and re-read like a license (a wallet that stopped accepting included).
      this.#checks.set(key, { ok: proof === "wallet", at: Date.now() });
      return proof;
    }
    // Facts about signatures; the map is bounded by announces that passed the replay check.
    if (this.#delegations.size >= MAX_REMEMBERED_PROOFS) this.#delegations.clear();
    this.#delegations.set(key, proof === "key");
    return proof;
  }

  /** A chain answer that can change (`key` in #checks): from the cache while younger than the TTL, else read. */
  async #checked(key: string, read: () => Promise<boolean>): Promise<boolean> {
    const check = this.#checks.get(key);
    if (check && Date.now() - check.at <= this.#ttl) return check.ok;
    return this.#read(key, read);
  }

  #read(key: string, read: () => Promise<boolean>): Promise<boolean> {
    const check = this.#checks.get(key);
    if (check?.reading) return check.reading;
    const reading = read().then(
      (ok) => {
        this.#checks.set(key, { ok, at: Date.now() });
        return ok;
      },
      (error: unknown) => {
        if (check) delete check.reading;
        throw error;
      },
    );
    if (check) check.reading = reading;
    else this.#checks.set(key, { ok: false, at: 0, reading });
    return reading;
  }

  /**
   * Re-reads the licenses and contract wallets' delegations of admitted peers before they go stale; drops the checks
   * no live connection needs.
   */
  #refreshLicenses(): void {
    const live = new Set<string>();
    const now = Date.now();
    const refresh = (key: string, read: () => Promise<boolean>) => {
      if (live.has(key)) return;
      live.add(key);
      const check = this.#checks.get(key);
      // A failed re-read keeps the last answer; the next refresh (or the peer's next check) reads again.
      if (!check || now - check.at > this.#ttl) this.#read(key, read).catch(() => {});
    };
    for (const admissions of this.#admissions.values()) {
      for (const { account, content, walletDelegation, delegation } of admissions.values()) {
        if (walletDelegation) refresh(walletDelegation, async () => (await this.#chain.verifyDelegation(delegation)) === "wallet");
        if (!this.#owns(account, content))
          refresh(licenseKey(account, content.contentId), () => this.#chain.hasLicense(account, content.contentId));
      }
    }
    for (const [key, check] of this.#checks)
      if (!live.has(key) && !check.reading && now - check.at > this.#maxAge) this.#checks.delete(key);
  }

  #forgetExpiredProofs(now: number): void {
    if (this.#proofs.size < MAX_REMEMBERED_PROOFS / 2) {
      // Cheap path: expire lazily in insertion order (proofs arrive roughly in time order).
      for (const [signature, { until }] of this.#proofs) {
        if (until > now) break;
        this.#proofs.delete(signature);
      }
      return;
    }
    for (const [signature, { until }] of this.#proofs) if (until <= now) this.#proofs.delete(signature);
  }
}

function licenseKey(account: Address, contentId: bigint): string {
  return `license:${account.toLowerCase()}:${contentId}`;
}

function delegationKey(d: Admission["delegation"]): string {
  return `delegation:${d.wallet}:${d.sessionKey}:${d.expiry}:${d.signature}`.toLowerCase();
}
