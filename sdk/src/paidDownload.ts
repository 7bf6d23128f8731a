/**
 * A paid download over WebTorrent, in the browser or in Node: the leecher's whole flow on top of `w3t_pay`.
 *
 *   const key = await createDownloadKey(walletClient, account, ctx);          // wallet prompt: Delegation (once a day)
 *   const download = await startPaidDownload({ client, publicClient, walletClient, account, key, ... });
 *                                                                              // wallet prompt: the escrow's open tx
 *   await download.done;                                                       // every seeder paid for its bytes
 *   await download.close();                                                    // starts the refund of the rest
 *
 * The keys sign silently: the delegated session key every receipt, and a fresh key of this download's own every
 * voucher and the Close; the wallet signs the delegation once per session key (reusable across downloads until it
 * expires) and sends the `open` transaction, which registers the download's own key in the escrow.
 * With `payment: "transactions"` the wallet instead sends the escrow's `release` at each checkpoint of each seeder
 * (one prompt each; receipts stay silent); a declined prompt pauses the download (`session.paused`) until
 * `session.resume()` or `close()`.
 *
 * The download never uploads (see `refuseUploads`): every wire of its torrent gets the leecher extension.
 */
import { parseEventLogs, type Account, type Address, type Hash, type Hex, type PublicClient, type WalletClient } from "viem";
import { amountFor } from "./checkpointSchedule.ts";
import { checkpointEscrowAbi, licenseMarketAbi } from "./generated/contracts.ts";
import { bytes32ToInfohash, magnetURI } from "./infohash.ts";
import { DEFAULT_DELEGATION_TTL_SECONDS, SessionKey, signDelegation, type SignedDelegation } from "./sessionKey.ts";
import { TrackerCredentials, sessionKeySigner } from "./trackerAuth.ts";
import { stopFetching, type FetchingTorrent } from "./stopFetching.ts";
import { writeAndWait } from "./transactions.ts";
import { LeecherSession, type FinalPayments, type ReleaseRequest } from "./wire/leecherSession.ts";
import { followPieceChecks, leecherExtension } from "./wire/leecherExtension.ts";
import { MODE_VALUE, type PaymentModeName, type PaymentStrategy } from "./wire/messages.ts";
import type { ExtensionConstructor, PayWire } from "./wire/wire.ts";

/** A WebTorrent wire that takes BEP 10 extensions. */
export type ExtensibleWire = PayWire & { use(extension: ExtensionConstructor): void };

export interface Contracts {
  market: Address;
  escrow: Address;
  rebatePool: Address;
}

/** The part of a WebTorrent torrent this flow uses. */
export interface TorrentLike {
  readonly infoHash: string;
  readonly done: boolean;
  on(event: "wire", listener: (wire: ExtensibleWire) => void): unknown;
  on(event: "done", listener: () => void): unknown;
  on(event: "error", listener: (error: Error | string) => void): unknown;
  /** A piece passed its hash check. */
  on(event: "verified", listener: (index: number) => void): unknown;
  /** WebTorrent's warnings, a failed hash check among them. */
  on(event: "warning", listener: (warning: Error | string) => void): unknown;
  destroy(opts?: unknown, cb?: (error?: Error) => void): void;
}

/** The part of a WebTorrent client this flow uses. */
export interface TorrentClientLike {
  /** This client's BitTorrent peer id (hex): the wire's proofs are bound to it. */
  readonly peerId: string;
  add(torrentId: string, opts?: Record<string, unknown>): TorrentLike;
}

/** A session key with the wallet's delegation: signs vouchers and receipts for every download until `expiry`. */
export interface DownloadKey {
  sessionKey: SessionKey;
  delegation: SignedDelegation;
}

function accountAddress(account: Account | Address): Address {
  return typeof account === "string" ? account : account.address;
}

/** Generates a session key and asks the wallet for its delegation (one signature prompt). */
export async function createDownloadKey(
  walletClient: WalletClient,
  account: Account | Address,
  ctx: { chainId: number; rebatePool: Address },
  expiry: bigint = BigInt(Math.floor(Date.now() / 1000) + DEFAULT_DELEGATION_TTL_SECONDS),
): Promise<DownloadKey> {
  const sessionKey = SessionKey.generate();
  const delegation = await signDelegation(walletClient, account, ctx, sessionKey.address, expiry);
  return { sessionKey, delegation };
}

export interface OpenEscrowOptions {
  publicClient: PublicClient;
  walletClient: WalletClient;
  account: Account | Address;
  escrow: Address;
  contentId: bigint;
  maxBytes: bigint;
  pricePerMiBCap: bigint;
  sessionKey: Address;
  mode: PaymentModeName;
}

/** Opens an escrow (one wallet transaction) depositing `maxBytes` at `pricePerMiBCap`; returns its id and deposit. */
export async function openEscrow(o: OpenEscrowOptions): Promise<{ escrowId: bigint; deposit: bigint }> {
  const deposit = amountFor(o.maxBytes, o.pricePerMiBCap);
  const { hash, receipt } = await writeAndWait(o, {
    account: o.account,
    address: o.escrow,
    abi: checkpointEscrowAbi,
    functionName: "open",
    args: [o.contentId, o.maxBytes, o.pricePerMiBCap, o.sessionKey, MODE_VALUE[o.mode]],
    value: deposit,
  });
  if (receipt.status !== "success") throw new Error(`opening the escrow failed (transaction ${hash})`);
  const [opened] = parseEventLogs({ abi: checkpointEscrowAbi, eventName: "EscrowOpened", logs: receipt.logs });
  return { escrowId: opened.args.escrowId, deposit };
}

export interface PaidDownloadOptions {
  client: TorrentClientLike;
  publicClient: PublicClient;
  walletClient: WalletClient;
  /** The license holder: the wallet account that opens the escrow. */
  account: Account | Address;
  chainId: number;
  contracts: Contracts;
  contentId: bigint;
  /**
   * The content's infohash and size as the caller knows them (an index of the chain's events): the torrent is added
   * without waiting for the chain's record, which must agree before anything is deposited. Unset: read first.
   */
  content?: { infohash: Hex; size: bigint };
  /** The session key and its delegation, or their promise while the wallet's prompt is open: the chain is read meanwhile. */
  key: DownloadKey | Promise<DownloadKey>;
  /** Highest price per MiB accepted from a seeder; the deposit is the whole content at this price. 0: free seeders only. */
  pricePerMiBCap: bigint;
  mode?: PaymentModeName;
  /** How checkpoints are paid: `vouchers` signed silently (default) or a wallet `release` transaction each. */
  payment?: PaymentStrategy;
  /** Tracker announce URLs. */
  announce: string[];
  /** Extra WebTorrent `add` options (path, store ...). */
  torrentOptions?: Record<string, unknown>;
  /**
   * How long to wait for the seeders' acknowledgement of the final vouchers. Default 10 s; 5 min when paying by
   * transactions (the last release is a wallet prompt).
   */
  settleTimeoutMs?: number;
}

const SETTLE_TIMEOUT_MS = 10_000;
const SETTLE_BY_TRANSACTIONS_TIMEOUT_MS = 5 * 60_000;

/** Sends the escrow's `release` for one checkpoint from the wallet (one prompt) and waits until it is mined. */
export async function releaseCheckpoint(
  o: { publicClient: PublicClient; walletClient: WalletClient; account: Account | Address; escrow: Address },
  release: ReleaseRequest,
): Promise<Hash> {
  const { hash, receipt } = await writeAndWait(o, {
    account: o.account,
    address: o.escrow,
    abi: checkpointEscrowAbi,
    functionName: "release",
    args: [release.escrowId, release.seeder, release.cumulativeBytes, release.pricePerMiB],
  });
  if (receipt.status !== "success") throw new Error(`the release of ${release.cumulativeBytes} bytes failed (transaction ${hash})`);
  return hash;
}

export interface PaidDownload {
  torrent: TorrentLike;
  session: LeecherSession;
  escrowId: bigint | null;
  deposit: bigint;
  /** Resolves when the content is complete and every seeder acknowledged its final voucher and receipt. */
  done: Promise<void>;
  /**
   * Stops early (a viewer who stops watching): asks for no more blocks, lets those in flight land for up to
   * `timeoutMs` (cancelling the rest), then signs each seeder's final voucher once, for exactly the bytes it delivered,
   * and waits up to `timeoutMs` for the acknowledgements. Resolves with what those vouchers carry; the Close
   * (`session.sendClose()`) may follow.
   */
  stop(timeoutMs: number): Promise<FinalPayments & { cancelledBlocks: number }>;
  /** Closes the escrow (a wallet transaction): the rest is refunded after the challenge window. */
  close(): Promise<Hash>;
}

export async function startPaidDownload(options: PaidDownloadOptions): Promise<PaidDownload> {
  const { publicClient, walletClient, contracts, contentId } = options;
  const mode = options.mode ?? "exponential";
  const payment = options.payment ?? "vouchers";
  const leecher = accountAddress(options.account);

  // The chain's record of the content and the license, read while the wallet is asked.
  const onChain = Promise.all([
    publicClient.readContract({ address: contracts.market, abi: licenseMarketAbi, functionName: "content", args: [contentId] }),
    publicClient.readContract({ address: contracts.market, abi: licenseMarketAbi, functionName: "hasLicense", args: [leecher, contentId] }),
  ]);
  onChain.catch(() => undefined); // awaited below, unless the key fails first
  /** Rejects unless the account holds a license and the chain's record of the content is the one given. */
  const checkRecord = async () => {
    const [record, licensed] = await onChain;
    if (!licensed) throw new Error(`${leecher} holds no license of content ${contentId}: buy one first`);
    const given = options.content;
    if (given && (record.infohash.toLowerCase() !== given.infohash.toLowerCase() || BigInt(record.size) !== given.size)) {
      throw new Error(`content ${contentId} on-chain is not the one given (infohash ${record.infohash}, ${record.size} bytes)`);
    }
  };
  const key = await options.key;
  if (key.delegation.account !== leecher) throw new Error("the session key was delegated by another account");
  // A paid download given the content's record adds its torrent without waiting for the chain's: its wires' hellos
  // wait for the escrow, opened only once the chain's record agrees. Otherwise the record comes first.
  const early = options.content !== undefined && options.pricePerMiBCap > 0n;
  if (!early) await checkRecord();
  const content = options.content ?? (await onChain)[0];
  const maxBytes = BigInt(content.size);

  // A fresh key per escrow, registered in the `open` the wallet signs anyway: it signs this escrow's vouchers and
  // Close and nothing else, and lives only as long as this download; the day-long delegated key signs no voucher.
  const escrowKey = options.pricePerMiBCap > 0n ? SessionKey.generate() : undefined;
  let escrowOpened: { resolve(escrowId: bigint): void; reject(error: unknown): void } | undefined;
  const opening = escrowKey ? new Promise<bigint>((resolve, reject) => (escrowOpened = { resolve, reject })) : undefined;

  const session = new LeecherSession({
    chainId: options.chainId,
    contracts,
    contentId,
    account: leecher,
    escrowId: null,
    opening,
    mode,
    maxBytes,
    pricePerMiBCap: options.pricePerMiBCap,
    sessionKey: key.sessionKey,
    escrowKey,
    delegation: key.delegation,
    payment,
    release: (release) => releaseCheckpoint({ publicClient, walletClient, account: options.account, escrow: contracts.escrow }, release),
  });
  const infoHash = bytes32ToInfohash(content.infohash);
  // The tracker introduces the peers of a priced title only to peers that prove its license with each announce.
  const credentials = new TrackerCredentials({
    chainId: options.chainId,
    signer: sessionKeySigner(key.sessionKey),
    delegation: key.delegation,
  });
  await credentials.prepare(infoHash, options.client.peerId);
  // Added before the escrow is opened: the torrent finds and connects to its seeders meanwhile (a tracker round and
  // WebRTC's handshakes, longer than the transaction on a local chain), and each wire's hello waits for the escrow.
  const torrent = options.client.add(magnetURI(infoHash, options.announce), {
    announce: options.announce,
    getAnnounceOpts: () => credentials.announceOpts(infoHash, options.client.peerId),
    ...options.torrentOptions,
  });
  const extension = leecherExtension(session, { infoHash, peerId: options.client.peerId });
  torrent.on("wire", (wire) => wire.use(extension));
  followPieceChecks(torrent, session);
  if (early) {
    try {
      await checkRecord();
    } catch (error) {
      escrowOpened!.reject(error);
      torrent.destroy();
      throw error;
    }
  }
  let escrowId: bigint | null = null;
  let deposit = 0n;
  if (escrowKey) {
    try {
      ({ escrowId, deposit } = await openEscrow({
        publicClient,
        walletClient,
        account: options.account,
        escrow: contracts.escrow,
        contentId,
        maxBytes,
        pricePerMiBCap: options.pricePerMiBCap,
        sessionKey: escrowKey.address,
        mode,
      }));
      escrowOpened!.resolve(escrowId);
    } catch (error) {
      // Declined or failed: nothing was paid, and no seeder got a hello.
      escrowOpened!.reject(error);
      torrent.destroy();
      throw error;
    }
  }
  const done = new Promise<void>((resolve, reject) => {
    const settleTimeoutMs = options.settleTimeoutMs ?? (payment === "transactions" ? SETTLE_BY_TRANSACTIONS_TIMEOUT_MS : SETTLE_TIMEOUT_MS);
    const finish = () => session.settle(settleTimeoutMs).then(() => resolve(), reject);
    if (torrent.done) finish();
    else torrent.on("done", finish);
    torrent.on("error", (error) => reject(typeof error === "string" ? new Error(error) : error));
  });

  return {
    torrent,
    session,
    escrowId,
    deposit,
    done,
    async stop(timeoutMs) {
      // Paused (a declined release), the seeders hold the blocks asked for until a payment that will not come.
      const cancelledBlocks = await stopFetching(torrent as unknown as FetchingTorrent, session.paused ? 0 : timeoutMs);
      return { ...(await session.finish(timeoutMs)), cancelledBlocks };
    },
    async close() {
      if (escrowId === null) throw new Error("a free download has no escrow to close");
      const { hash } = await writeAndWait(
        { publicClient, walletClient },
        {
          account: options.account,
          address: contracts.escrow,
          abi: checkpointEscrowAbi,
          functionName: "close",
          args: [escrowId],
        },
      );
      return hash;
    },
  };
}
