/**
 * The headless seeder: seeds registered content over WebTorrent and gets paid for it through `w3t_pay`.
 *
 * - `seed(path)` computes the infohash of each file and seeds only those registered in the LicenseMarket (same
 *   size), announcing them on the tracker.
 * - Every peer must say hello: the seeder checks on-chain that it holds a license, that its delegation is valid
 *   and (priced seeding) that its escrow is open, its own, for this content, with this session key, a price cap at
 *   least the seeder's price and deposit left. Until then, and at each checkpoint until a valid voucher and receipt
 *   are stored, the peer is choked; no voucher within `voucherTimeoutMs` chokes it for good.
 * - Vouchers and receipts are stored in SQLite (committed before the seeder acknowledges them; nothing else is
 *   waited for). A voucher below the end is then redeemed with `redeemAndReserve`, which reserves the next interval
 *   in the escrow for this seeder alone (sdk/src/wire/solvency.ts): the peer is served δ past the voucher until the
 *   reservation secures the next interval (`secure`): whatever the leecher's key signs to others, the seeder loses at
 *   most one interval + δ.
 *   The final voucher is redeemed at once if it is the escrow's first (a cooperative close counts only seeders that
 *   have redeemed), else in a batch every `settleIntervalMs`, with the receipts (one `submitReceipts` per batch)
 *   and cooperative closes (`waiveChallenge`) of escrows the leecher closed once everything is redeemed.
 * - Before a block goes past what the store records as sent on its account, the record is raised (a MiB ahead) and
 *   committed; a restart resumes from it, so the bytes sent since the last payment are not served again on credit:
 *   restarts or not, a leecher that stops paying gets at most one interval unpaid.
 * - After a restart, whatever was stored and not yet redeemed or submitted goes out in the first settlement.
 * - `claim()` claims the rebates: the pool balance the receipts earned and the shares of every finished epoch with a
 *   share, in one `RebatePool.claim` (nothing to claim, no transaction). Before it, the unearned allowances of the
 *   licenses this seeder served that have expired are swept into the epoch pool in one `sweepMany`.
 */
import { EventEmitter } from "node:events";
import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { createPublicClient, http, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import WebTorrent from "webtorrent";
import { FIRST_CHECKPOINT } from "@web3torrent/sdk/checkpointSchedule";
import { shortMessage } from "@web3torrent/sdk/errors";
import { getDeployment } from "@web3torrent/sdk/deployments";
import { infohashToBytes32 } from "@web3torrent/sdk/infohash";
import { torrentClientOptions } from "@web3torrent/sdk/torrentClient";
import { ownKeyCredentials, type TrackerCredentials } from "@web3torrent/sdk/trackerAuth";
import {
  ServiceAccount,
  DEFAULT_RELEASE_TIMEOUT_MS,
  DEFAULT_VOUCHER_TIMEOUT_MS,
  RefusalReason,
  checkHello,
  escrowCoversNextInterval,
  nextIntervalEnd,
  seederExtension,
  verifyRelease,
  type Admission,
  type AdmissionContext,
  type HelloMessage,
  type PayWire,
  type PaymentModeName,
  type CloseMessage,
  type ReceiptMessage,
  type Refusal,
  type ReleasedMessage,
  type SeederBackend,
  type SeederTerms,
  type VoucherMessage,
} from "@web3torrent/sdk/wire/index";
import { SeederChain, type SeederContracts, type SignedVoucher } from "./chain.ts";
import { Rebates, type ClaimOptions, type ClaimResult } from "./rebates.ts";
import { Settler, type SettlementResult } from "./settlement.ts";
import { SeederStore, type NewAccount } from "./store.ts";
import { createContentTorrent } from "./torrent.ts";

export interface SeederOptions {
  rpcUrl: string;
  privateKey: Hex;
  /** SQLite file of vouchers and receipts. */
  dbPath: string;
  /** Tracker announce URLs. */
  announce: string[];
  /** Wei per MiB; 0 seeds free (licence still required; receipts earn rebates). */
  pricePerMiB: bigint;
  /** Defaults to the chain's id as reported by the RPC. */
  chainId?: number;
  /** Defaults to the sdk's deployment on the chain. */
  contracts?: SeederContracts;
  /**
   * The block from which the pool's events for this seeder are searched (what it can claim from which epochs).
   * Default: the RebatePool's deployment block when `contracts` come from the sdk's deployment, else 0.
   */
  startBlock?: bigint;
  /** Escrow modes served. Default: both. */
  modes?: PaymentModeName[];
  /** How long to wait for a voucher at a checkpoint. Default 30 s. */
  voucherTimeoutMs?: number;
  /** Whether leechers may pay checkpoints with on-chain releases instead of vouchers. Default true. */
  acceptsReleases?: boolean;
  /** How long to wait at a checkpoint for a leecher paying by transactions (a wallet prompt, then mining). Default 5 min. */
  releaseTimeoutMs?: number;
  /** How often vouchers are redeemed and receipts submitted in batches; 0 only on `flush()`. Default 60 s. */
  settleIntervalMs?: number;
  /** A delegation must stay valid this long after the hello, so receipts can still be submitted. Default 1 h. */
  delegationMarginSeconds?: bigint;
  /** WebRTC ICE servers. Default: none, enough on one machine or a LAN. */
  iceServers?: { urls: string | string[] }[];
  log?: (line: string) => void;
}

export interface SeededContent {
  path: string;
  infoHash: string;
  contentId: bigint;
  size: bigint;
  name: string;
}

export interface RefusedFile {
  path: string;
  infoHash: string | null;
  reason: string;
}

export interface Earnings {
  /** Wei redeemed from escrows. */
  redeemed: bigint;
  /** Wei signed over in stored vouchers and not yet redeemed. */
  pendingVouchers: bigint;
  /** Rebates credited to this seeder in the pool and not claimed yet (null when the chain cannot be reached). */
  rebateBalance: bigint | null;
  /** Bytes served to paying or licensed peers (as stored). */
  bytesServed: bigint;
  /** Receipt bytes the pool has credited. */
  bytesCredited: bigint;
  accounts: number;
}

export type { ClaimOptions, ClaimResult, SweepResult } from "./rebates.ts";
export type { SettlementResult } from "./settlement.ts";

export interface StopResult extends Earnings {
  /** With `stop({ claim: true })`: the claim, or why it failed. */
  claimed?: ClaimResult;
  claimError?: Error;
}

const DEFAULT_SETTLE_INTERVAL_MS = 60_000;
const DEFAULT_DELEGATION_MARGIN_SECONDS = 60n * 60n;

export class Seeder extends EventEmitter implements SeederBackend {
  readonly chain: SeederChain;
  readonly store: SeederStore;
  readonly client: InstanceType<typeof WebTorrent>;
  readonly chainId: number;
  readonly contracts: SeederContracts;
  /** Where the pool's events for this seeder are searched from. */
  readonly startBlock: bigint;
  readonly options: SeederOptions;
  readonly seeded = new Map<string, SeededContent>();
  readonly #accounts = new Map<string, ServiceAccount>();
  /** Per account, the reservation last sent, resolving once mined: null when it secures its interval, else why not. */
  readonly #reservations = new Map<string, Promise<Refusal | null>>();
  readonly #settler: Settler;
  readonly #rebates: Rebates;
  #settlement: Promise<unknown> = Promise.resolve();
  #timer: ReturnType<typeof setInterval> | null = null;
  #stopped = false;
  #tracker: Promise<TrackerCredentials> | undefined;

  private constructor(options: SeederOptions, chainId: number, contracts: SeederContracts, startBlock: bigint) {
    super();
    this.options = options;
    this.chainId = chainId;
    this.contracts = contracts;
    this.startBlock = startBlock;
    this.chain = new SeederChain(options.rpcUrl, chainId, options.privateKey, contracts);
    this.store = new SeederStore(options.dbPath);
    this.client = new WebTorrent(torrentClientOptions(options.iceServers));
    this.client.on("error", (error: Error | string) => this.#log(`webtorrent error: ${String(error)}`));
    const host = {
      chain: this.chain,
      store: this.store,
      log: (line: string) => this.#log(line),
      emit: (event: string, payload: unknown) => this.emit(event, payload),
    };
    this.#settler = new Settler({ ...host, accountOf: (key) => this.#accounts.get(key) });
    this.#rebates = new Rebates({ ...host, rebatePool: contracts.rebatePool, startBlock });
  }

  /** Connects to the chain and opens the store; then `seed()` files and folders. */
  static async start(options: SeederOptions): Promise<Seeder> {
    const chainId = options.chainId ?? (await createPublicClient({ transport: http(options.rpcUrl) }).getChainId());
    let contracts = options.contracts;
    let startBlock = options.startBlock ?? 0n;
    if (!contracts) {
      const d = getDeployment(chainId).contracts;
      contracts = { market: d.LicenseMarket.address, escrow: d.CheckpointEscrow.address, rebatePool: d.RebatePool.address };
      startBlock = options.startBlock ?? BigInt(d.RebatePool.startBlock);
    }
    const seeder = new Seeder(options, chainId, contracts, startBlock);
    const interval = options.settleIntervalMs ?? DEFAULT_SETTLE_INTERVAL_MS;
    if (interval > 0) {
      seeder.#timer = setInterval(() => void seeder.flush().catch(() => {}), interval); // #settle reports its own failures
      seeder.#timer.unref();
    }
    // Whatever a previous run stored and did not settle.
    if (seeder.store.unredeemed().length > 0 || seeder.store.unsubmitted().length > 0) {
      void seeder.flush().catch(() => {}); // #settle reports its own failures (settlement-error)
    }
    return seeder;
  }

  get address(): Address {
    return this.chain.address;
  }

  #log(line: string): void {
    this.options.log?.(line);
  }

  // ------------------------------------------------------------------------------------------------ seeding

  /** Seeds a file, or every regular file in a folder (recursively); files not registered are refused. */
  async seed(path: string): Promise<{ seeded: SeededContent[]; refused: RefusedFile[] }> {
    const files = statSync(path).isDirectory() ? listFiles(path) : [path];
    const seeded: SeededContent[] = [];
    const refused: RefusedFile[] = [];
    for (const file of files) {
      const result = await this.#seedFile(file);
      if ("reason" in result) {
        refused.push(result);
        this.emit("refused-file", result);
        this.#log(`not seeding ${file}: ${result.reason}`);
      } else {
        seeded.push(result);
        this.emit("seeding", result);
        this.#log(`seeding ${result.name} as content ${result.contentId} (infohash ${result.infoHash}, ${result.size} bytes)`);
      }
    }
    return { seeded, refused };
  }

  async #seedFile(path: string): Promise<SeededContent | RefusedFile> {
    const torrent = await createContentTorrent(path, this.options.announce);
    const contentId = await this.chain.contentIdOf(infohashToBytes32(torrent.infoHash));
    if (contentId === 0n) return { path, infoHash: torrent.infoHash, reason: "its infohash matches no registered content" };
    const content = await this.chain.content(contentId);
    if (BigInt(content.size) !== BigInt(torrent.length)) {
      return { path, infoHash: torrent.infoHash, reason: `registered with ${content.size} bytes, the file has ${torrent.length}` };
    }
    const already = this.seeded.get(torrent.infoHash);
    if (already) return already;
    const terms: SeederTerms = {
      chainId: this.chainId,
      market: this.contracts.market,
      escrow: this.contracts.escrow,
      rebatePool: this.contracts.rebatePool,
      contentId,
      seeder: this.address,
      pricePerMiB: this.options.pricePerMiB,
      firstCheckpoint: FIRST_CHECKPOINT,
      modes: this.options.modes ?? ["exponential", "upfront"],
      voucherTimeoutMs: this.options.voucherTimeoutMs ?? DEFAULT_VOUCHER_TIMEOUT_MS,
      acceptsReleases: this.options.acceptsReleases ?? true,
      releaseTimeoutMs: this.options.releaseTimeoutMs ?? DEFAULT_RELEASE_TIMEOUT_MS,
    };
    const extension = seederExtension({
      terms,
      backend: this,
      observer: this.#observer(contentId),
      // The payout key itself proves the address to each leecher: the headless seeder holds it.
      identity: { signer: privateKeyToAccount(this.options.privateKey), delegation: null },
      localPeer: { infoHash: torrent.infoHash, peerId: this.client.peerId },
    });
    // The tracker introduces the peers of a priced title only to peers proving its license: the payout key proves it.
    this.#tracker ??= ownKeyCredentials(this.options.privateKey, { chainId: this.chainId, rebatePool: this.contracts.rebatePool });
    const tracker = await this.#tracker;
    await tracker.prepare(torrent.infoHash, this.client.peerId);
    const added = this.client.add(Buffer.from(torrent.torrentFile), {
      path: dirname(path),
      announce: this.options.announce,
      getAnnounceOpts: () => tracker.announceOpts(torrent.infoHash, this.client.peerId),
      skipVerify: true,
    });
    added.on("wire", (wire: unknown) => (wire as { use(ext: unknown): void }).use(extension));
    await new Promise<void>((resolve, reject) => {
      if (added.ready) return resolve();
      added.once("ready", () => resolve());
      added.once("error", (error: Error | string) => reject(typeof error === "string" ? new Error(error) : error));
    });
    const result: SeededContent = { path, infoHash: torrent.infoHash, contentId, size: BigInt(torrent.length), name: torrent.name };
    this.seeded.set(torrent.infoHash, result);
    return result;
  }

  #observer(contentId: bigint) {
    const peer = (wire: PayWire) => (wire.peerId ?? "unknown").slice(-8);
    return {
      admitted: (wire: PayWire, account: ServiceAccount) => {
        this.emit("admitted", { peer: peer(wire), contentId, account });
        this.#log(
          `peer ${peer(wire)} admitted: ${account.leecher} (${account.escrowId === null ? "free" : `escrow ${account.escrowId}, ${account.mode}`})`,
        );
      },
      refused: (wire: PayWire, r: Refusal, account: ServiceAccount | null) => {
        this.emit("refused", { peer: peer(wire), contentId, account, ...r });
        this.#log(`peer ${peer(wire)} refused (${r.reason}): ${r.message}`);
      },
      checkpoint: (wire: PayWire, account: ServiceAccount, request: { cumulativeBytes: bigint }) => {
        this.emit("checkpoint", { peer: peer(wire), contentId, account, served: request.cumulativeBytes });
      },
      voucher: (wire: PayWire, account: ServiceAccount, voucher: VoucherMessage) => {
        this.emit("voucher", { peer: peer(wire), contentId, account, voucher });
      },
      released: (wire: PayWire, account: ServiceAccount, release: ReleasedMessage) => {
        this.emit("released", { peer: peer(wire), contentId, account, release });
        this.#log(
          `peer ${peer(wire)}: escrow ${release.escrowId} released ${release.cumulativeBytes} bytes on-chain (tx ${release.txHash})`,
        );
      },
      receipt: (wire: PayWire, account: ServiceAccount, receipt: ReceiptMessage) => {
        this.emit("receipt", { peer: peer(wire), contentId, account, receipt });
      },
      error: (wire: PayWire, error: unknown) => {
        this.#log(`peer ${peer(wire)}: ${shortMessage(error)}`);
        this.emit("backend-error", { peer: peer(wire), contentId, error });
      },
      peerRefusal: (wire: PayWire, r: Refusal) => {
        this.emit("peer-refusal", { peer: peer(wire), contentId, ...r });
      },
    };
  }

  // ------------------------------------------------------------------------------------------------ backend

  get #admission(): AdmissionContext {
    return {
      client: this.chain.publicClient,
      chainId: this.chainId,
      contracts: this.contracts,
      delegationMarginSeconds: this.options.delegationMarginSeconds ?? DEFAULT_DELEGATION_MARGIN_SECONDS,
    };
  }

  async admit(hello: HelloMessage, terms: SeederTerms): Promise<Admission> {
    // Free content is accounted per license holder, not per key: a fresh delegation (free to sign) gets no interval
    // on credit while another key of the license owes receipts, and costs no RPC call. So a license holds at most
    // one interval unattested, and a new account (row) only follows attested service.
    if (terms.pricePerMiB === 0n) {
      const owing = this.store.unattestedFree(hello.account, terms.contentId, hello.sessionKey, BigInt(Math.floor(Date.now() / 1000)));
      if (owing) {
        return {
          refusal: {
            reason: RefusalReason.Unattested,
            message: `session key ${owing.sessionKey} of this license holds bytes without a receipt (until its delegation expires at ${owing.delegationExpiry})`,
          },
        };
      }
    }
    const checked = await checkHello(this.#admission, hello, terms);
    if ("refusal" in checked) return checked;
    const { delegation, ...admitted } = checked.account;
    const account = this.#account({ ...admitted, delegationExpiry: delegation.expiry, delegationSignature: delegation.signature });
    if (account.escrowId === null) return { account };
    // The interval about to be served must be secured: the first by what no seeder reserved, a later one by this
    // seeder's own reservation (the one on its way for another wire, or made now from the stored voucher if it was
    // not, e.g. before a restart). The funds read with the hello stand unless this seeder reserved since.
    const known = this.#reservations.has(account.key) ? undefined : checked.funds;
    await this.#reservations.get(account.key);
    let refusal = await escrowCoversNextInterval(
      this.chain.publicClient,
      this.contracts.escrow,
      this.address,
      account,
      account.voucherBytes,
      known,
    );
    const row = this.store.get(account.key);
    if (refusal && row?.voucherSignature && account.voucherBytes > 0n && account.voucherBytes < account.maxBytes) {
      await this.#reserve(account, {
        escrowId: account.escrowId,
        seeder: this.address,
        cumulativeBytes: row.voucherBytes,
        cumulativeAmount: row.voucherAmount,
        signature: row.voucherSignature,
      });
      refusal = await escrowCoversNextInterval(this.chain.publicClient, this.contracts.escrow, this.address, account, account.voucherBytes);
    }
    return refusal ? { refusal } : { account };
  }

  /**
   * Redeems `voucher` and reserves the next interval in the escrow, mined before it resolves; a failure (the escrow
   * closed or ran dry) is logged and leaves the reservation as it was, so the check that follows refuses.
   */
  async #reserve(account: ServiceAccount, voucher: SignedVoucher): Promise<bigint> {
    const hash = await this.chain.redeemAndReserve(voucher).catch((error: Error) => {
      this.#log(`escrow ${voucher.escrowId}: no reservation for the next interval: ${shortMessage(error)}`);
      return null;
    });
    if (!hash) return 0n;
    const { amount, reserved } = await this.chain.redeemedBy(voucher.escrowId);
    this.store.setRedeemed(account.key, amount);
    this.#log(`escrow ${voucher.escrowId}: redeemed ${amount} wei in total, ${reserved} wei reserved for the next interval (tx ${hash})`);
    return amount + reserved;
  }

  /** The shared state of an account: from memory, else from the store (after a restart), else new. */
  #account(init: NewAccount & { voucherKey: Address }): ServiceAccount {
    const cached = this.#accounts.get(init.key);
    const row = this.store.upsert(init);
    if (cached && cached.sessionKey === init.sessionKey && cached.voucherKey === init.voucherKey) return cached;
    const account = new ServiceAccount({
      key: row.key,
      leecher: row.leecher,
      sessionKey: row.sessionKey,
      voucherKey: init.voucherKey,
      contentId: row.contentId,
      escrowId: row.escrowId,
      mode: row.mode,
      maxBytes: row.maxBytes,
      pricePerMiB: row.pricePerMiB,
      priceCapPerMiB: row.priceCapPerMiB,
      delegation: { expiry: row.delegationExpiry, signature: row.delegationSignature },
      voucherBytes: row.voucherBytes,
      voucherAmount: row.voucherAmount,
      receiptBytes: row.receiptBytes,
    });
    // What a previous run may have sent (its bound, recorded before sending): not served again on credit.
    for (const stored of [row.served, row.sentBound]) if (stored > account.served) account.served = stored;
    account.servedBound = account.served;
    this.#accounts.set(row.key, account);
    return account;
  }

  /** Stores the voucher durably and nothing else: the acknowledgement waits for the disk, not for the chain. */
  async storeVoucher(account: ServiceAccount, voucher: VoucherMessage): Promise<null> {
    const before = this.store.get(account.key)!;
    this.store.saveVoucher(account.key, account.served, voucher.cumulativeBytes, voucher.cumulativeAmount, voucher.signature);
    // Stored: from here on a crash loses nothing. The last voucher (nothing more to serve) is redeemed at once if it
    // is the first, as a cooperative close counts only the seeders that have redeemed, else with the next batch.
    if (voucher.cumulativeBytes >= account.maxBytes && before.redeemedAmount === 0n && before.voucherBytes === 0n) {
      void this.flush({ redeemOnly: true }).catch(() => {}); // reported by #settle
    }
    return null;
  }

  /**
   * Secures the interval after an acknowledged voucher: a voucher is no money while the leecher's key can sign the
   * deposit to others, so the seeder serves past it (more than the δ the wire goes on meanwhile) only once
   * `redeemAndReserve` secures the next interval for it alone. The first reservation of an account is waited for
   * until mined: the first interval was served on credit and only this transaction pays it. A later one is simulated
   * at the latest block (one `eth_call`) and mined beside the transfer, since the previous reservation, mined before
   * this resolves, pays the voucher: a drain raced into the block that mines it leaves it short, and every wire of
   * the account is refused then. Either way the seeder loses at most one interval + δ.
   */
  async secure(account: ServiceAccount, voucher: VoucherMessage): Promise<Refusal | null> {
    const previous = this.#reservations.get(account.key);
    const refused = await previous;
    if (refused) return refused;
    const signed: SignedVoucher = { ...voucher, seeder: this.address };
    const end = nextIntervalEnd(account, voucher.cumulativeBytes);
    const check = (secured: bigint): Refusal | null =>
      secured >= account.priceOf(end)
        ? null
        : {
            reason: RefusalReason.EscrowExhausted,
            message: `escrow ${voucher.escrowId} secures ${secured} wei for this seeder (redeemed and reserved): not enough for the next interval up to ${end} bytes (${account.priceOf(end)} wei)`,
          };
    if (previous) {
      const reserved = await this.chain.simulateRedeemAndReserve(signed).catch((error: Error) => {
        this.#log(`escrow ${voucher.escrowId}: no reservation for the next interval: ${shortMessage(error)}`);
        return 0n;
      });
      const refusal = check(voucher.cumulativeAmount + reserved);
      if (refusal) return refusal;
    }
    const mined = this.#reserve(account, signed).then(check);
    this.#reservations.set(account.key, mined);
    if (!previous) return mined;
    void mined.then((refusal) => refusal && account.refuse(refusal));
    return null;
  }

  async storeRelease(account: ServiceAccount, release: ReleasedMessage): Promise<{ redeemed: bigint } | { refusal: Refusal }> {
    const verified = await verifyRelease(this.#admission, account, release);
    if ("refusal" in verified) return verified;
    this.store.saveRelease(account.key, account.served, release.cumulativeBytes, verified.redeemed, release.txHash);
    return verified;
  }

  /** The leecher's signed Close: stored, then settled at once (last voucher, close, waiver and refund in one call). */
  async storeClose(account: ServiceAccount, close: CloseMessage): Promise<void> {
    this.store.saveClose(account.key, close.signature);
    void this.flush().catch(() => {}); // #settle reports its own failures (settlement-error)
  }

  async storeReceipt(account: ServiceAccount, receipt: ReceiptMessage): Promise<void> {
    this.store.saveReceipt(account.key, account.served, receipt.cumulativeBytes, receipt.signature);
    account.servedBound = account.served;
  }

  recordServed(account: ServiceAccount, bytes: bigint): void {
    this.store.saveSentBound(account.key, bytes);
  }

  // ------------------------------------------------------------------------------------------------ settlement

  /**
   * Redeems every stored voucher worth more than what was redeemed, submits every receipt above what the pool
   * credited (one batch each), and waives the challenge window of fully redeemed escrows the leecher closed.
   * Runs one at a time: what was stored before the call is settled when it resolves.
   */
  flush(options: { redeemOnly?: boolean } = {}): Promise<SettlementResult> {
    const run = this.#settlement.then(() => this.#settler.settle(options.redeemOnly ?? false));
    this.#settlement = run.catch(() => {}); // the caller gets `run` and its failure; this only orders the next run
    return run;
  }

  // ------------------------------------------------------------------------------------------------ rebates

  /**
   * Claims the rebates: the pool balance and the shares of every finished epoch with a share, in one transaction,
   * after what is being settled. With `sweep` (the default), first sweeps into the epoch pool the expired allowances
   * of the licenses this seeder served (`Rebates.sweepExpired` in ./rebates.ts). Nothing to claim: no transaction, `paid` 0.
   */
  claim({ sweep = true }: ClaimOptions = {}): Promise<ClaimResult> {
    const run = this.#settlement.then(() => this.#rebates.claim(sweep));
    this.#settlement = run.catch(() => {}); // the caller gets `run` and its failure; this only orders the next run
    return run;
  }

  // ------------------------------------------------------------------------------------------------ reporting

  async earnings(): Promise<Earnings> {
    const rows = this.store.all();
    let redeemed = 0n;
    let pendingVouchers = 0n;
    let bytesServed = 0n;
    let bytesCredited = 0n;
    for (const row of rows) {
      redeemed += row.redeemedAmount;
      if (!row.finished && row.voucherAmount > row.redeemedAmount) pendingVouchers += row.voucherAmount - row.redeemedAmount;
      bytesServed += row.served;
      bytesCredited += row.submittedBytes;
    }
    const rebateBalance = await this.chain.rebateBalance().catch(() => null);
    return { redeemed, pendingVouchers, rebateBalance, bytesServed, bytesCredited, accounts: rows.length };
  }

  /**
   * Stops seeding; with `settle`, redeems and submits what is stored first; with `claim`, then claims the rebates
   * (see {@link Seeder.claim}). Returns the final earnings, and the claim.
   */
  async stop({ settle = false, claim = false }: { settle?: boolean; claim?: boolean | ClaimOptions } = {}): Promise<StopResult> {
    if (this.#stopped) throw new Error("the seeder is stopped");
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    void this.#tracker?.then(
      (tracker) => tracker.stop(),
      () => {},
    );
    await new Promise<void>((resolve) => this.client.destroy(() => resolve()));
    if (settle)
      await this.flush().catch(() => {}); // #settle reports its own failures (settlement-error)
    else await this.#settlement;
    const claimed = claim
      ? await this.claim(claim === true ? {} : claim).then(
          (c) => ({ claimed: c }),
          (error: Error) => ({ claimError: error }),
        )
      : {};
    const result: StopResult = { ...(await this.earnings()), ...claimed };
    this.store.close();
    return result;
  }
}

function listFiles(folder: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(path));
    else if (entry.isFile() && !entry.name.startsWith(".")) files.push(path);
  }
  return files.sort();
}
