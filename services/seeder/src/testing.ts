/**
 * A local swarm for tests, benchmarks and the demo: a devchain with the contracts, a tracker, content files
 * published in the LicenseMarket, licenses bought, and WebTorrent clients wired for w3t_pay.
 *
 *   const swarm = await startSwarm();            // { gated: true }: the tracker's license gate on, as in production
 *   // movie.bin published, account 3 licensed, account 2 seeding it at 10^12 wei per MiB
 *   const { content, seeder } = await swarm.seeded("movie.bin", 40 * MiB, {
 *     licensees: [3],
 *     seeder: { accountIndex: 2, pricePerMiB: 10n ** 12n },
 *   });
 *   ...
 *   await swarm.stop();
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, createWalletClient, http, type Address, type Hex, type PrivateKeyAccount, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import WebTorrent from "webtorrent";
import { startDevChain, type DevChain } from "@web3torrent/devchain";
import { chainFor } from "@web3torrent/sdk/chain";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import { buyLicense as buyMarketLicense } from "@web3torrent/sdk/market";
import { createDownloadKey, openEscrow, startPaidDownload, type DownloadKey, type PaidDownload } from "@web3torrent/sdk/paidDownload";
import { magnetURI } from "@web3torrent/sdk/infohash";
import { torrentClientOptions } from "@web3torrent/sdk/torrentClient";
import {
  followPieceChecks,
  leecherExtension,
  type LeecherSession,
  type LeecherSessionOptions,
  type PayWire,
} from "@web3torrent/sdk/wire/index";
import { startTracker, type Tracker } from "@web3torrent/tracker";
import { LicenseGate, viemLicenseChain } from "@web3torrent/tracker/licenseGate";
import { publishFile, type Published } from "./publish.ts";
import { MiB, writeRandomFile } from "./randomFile.ts";
import { Seeder, type SeederOptions } from "./seeder.ts";
import type { SeederContracts } from "./chain.ts";

export { MiB, writeRandomFile };

export type TorrentClient = InstanceType<typeof WebTorrent>;

function devWallet(rpcUrl: string, chainId: number, account: PrivateKeyAccount) {
  return createWalletClient({ chain: chainFor(rpcUrl, chainId, { name: "devchain" }), transport: http(rpcUrl), account });
}

/** A wallet client of a test account on the devchain. */
export type SwarmWallet = ReturnType<typeof devWallet>;

/** A WebTorrent client for a Node peer of the local swarm. */
export function nodeClient(): TorrentClient {
  const client = new WebTorrent(torrentClientOptions());
  client.on("error", () => {});
  return client;
}

/** Runs a TypeScript command-line program (`script`) with `args` to its end: its exit code and what it printed. */
export async function runCli(script: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, output };
}

/** The flags with which the project's command lines (`seed`, `leech`) reach the swarm's chain: its RPC URL and contracts. */
export function chainArgs(swarm: Swarm): string[] {
  const { market, escrow, rebatePool } = swarm.contracts;
  return ["--rpc", swarm.chain.rpcUrl, "--market", market, "--escrow", escrow, "--pool", rebatePool];
}

/**
 * The `seed` command's arguments to seed `path` on the swarm, its key aside (`--key` or `W3T_SEEDER_KEY`, as the
 * caller chooses). Without `price` it asks the command's default price; it settles each voucher at once, as the
 * seeders of `startSeeder` do.
 */
export function seederArgs(
  swarm: Swarm,
  path: string,
  { db, price, json = false, tracker = swarm.tracker.url }: { db: string; price?: bigint; json?: boolean; tracker?: string },
): string[] {
  return [
    path,
    ...(json ? ["--json"] : []),
    ...chainArgs(swarm),
    "--tracker",
    tracker,
    "--db",
    db,
    ...(price === undefined ? [] : ["--price", String(price)]),
    "--settle-interval",
    "0",
  ];
}

export function destroyClient(client: TorrentClient): Promise<void> {
  return new Promise((resolve) => client.destroy(() => resolve()));
}

/** How a test starts a seeder of the swarm: paid to test account `accountIndex`, its store in the scratch folder unless `dbPath`. */
export type SwarmSeederOptions = { accountIndex: number; pricePerMiB: bigint; dbPath?: string } & Partial<SeederOptions>;

export interface Swarm {
  chain: DevChain;
  tracker: Tracker;
  publicClient: PublicClient;
  contracts: SeederContracts;
  /** A scratch folder, removed by stop(). */
  dir: string;
  /**
   * A tracker URL of its own for one WebTorrent client. bittorrent-tracker's client shares one WebSocket per
   * announce URL among all clients of a process, and a tracker socket carries one peer: peers that live in the same
   * process (here, not in production) must announce on distinct URLs (the tracker ignores the path).
   */
  announce(): string[];
  /** Hardhat test account `index` (0 is the deployer). */
  account(index: number): PrivateKeyAccount;
  wallet(index: number): SwarmWallet;
  /** Writes a random file of `bytes` under the scratch folder. */
  file(name: string, bytes: number): string;
  /** Registers a file as content, from account 1 (the publisher). */
  publish(path: string, options?: { basePrice?: bigint; bountyFeeBps?: number; curve?: 0 | 1; growth?: bigint }): Promise<Published>;
  buyLicense(contentId: bigint, buyerIndex: number): Promise<bigint>;
  /** A seeder (in this process) paid to test account `accountIndex`, stopped by stop(). */
  startSeeder(options: SwarmSeederOptions): Promise<Seeder>;
  /** A random file of `bytes` (see file), published (see publish), a license of it bought by each of `licensees`. */
  published(name: string, bytes: number, licensees?: number[]): Promise<{ file: string; content: Published }>;
  /** As published, then a seeder (see startSeeder) seeding the file. */
  seeded(
    name: string,
    bytes: number,
    options: { licensees?: number[]; seeder: SwarmSeederOptions },
  ): Promise<{ file: string; content: Published; seeder: Seeder }>;
  /** The refund of escrow `escrowId`, from its EscrowRefunded event (who sent it does not matter); asserts there is one. */
  refund(escrowId: bigint): Promise<{ escrowId: bigint; leecher: Address; amount: bigint }>;
  /** A fresh session key delegated by the wallet of test account `leecherIndex` (its Delegation signed). */
  downloadKey(leecherIndex: number): Promise<DownloadKey>;
  /**
   * Opens an exponential escrow for the whole of `content` from the wallet of `leecherIndex`, registering
   * `sessionKey`; resolves with its id.
   */
  openEscrow(content: Published, leecherIndex: number, sessionKey: Address, pricePerMiBCap: bigint): Promise<bigint>;
  /**
   * What a hand-built sdk leecher of test account `leecherIndex` pays `content` with: a fresh download key and an
   * exponential escrow for the whole content registering it, as the options of a LeecherSession.
   */
  escrowSession(content: Published, leecherIndex: number, pricePerMiBCap: bigint): Promise<LeecherSessionOptions & { escrowId: bigint }>;
  /** As escrowSession, for free content: a fresh download key and no escrow. */
  freeSession(content: Published, leecherIndex: number): Promise<LeecherSessionOptions>;
  /**
   * Starts a paid download of `content` by test account `leecherIndex` (a fresh session key, the sdk's leecher)
   * into the scratch folder; `path` is where the file will be.
   */
  download(
    content: Published,
    leecherIndex: number,
    options: { pricePerMiBCap: bigint; mode?: "exponential" | "upfront"; payment?: "vouchers" | "transactions" },
  ): Promise<{ paid: PaidDownload; path: string }>;
  /** A WebTorrent client, destroyed by stop(). */
  client(): TorrentClient;
  /** Adds the content to `client` (on its own tracker URL) with a w3t_pay leecher extension speaking for `session`. */
  attach(client: TorrentClient, infoHash: string, session: LeecherSession, path?: string): ReturnType<TorrentClient["add"]>;
  stop(): Promise<void>;
}

/**
 * With `gated`, the tracker introduces the peers of priced content only to peers proving a license of it (its
 * publisher, payout or a license holder): seeders other than the publisher buy a license, and `attach`ed plain
 * clients of priced content meet nobody. `chain` is one started elsewhere (a benchmark's own process); stopped with
 * the swarm.
 */
export async function startSwarm({ gated = false, chain: given }: { gated?: boolean; chain?: DevChain } = {}): Promise<Swarm> {
  const chain = given ?? (await startDevChain());
  const dir = mkdtempSync(join(tmpdir(), "w3t-swarm-"));
  const viemChain = chainFor(chain.rpcUrl, chain.chainId, { name: "devchain" });
  const transport = http(chain.rpcUrl);
  const publicClient = createPublicClient({ chain: viemChain, transport, pollingInterval: 50 }) as PublicClient;
  const contracts: SeederContracts = {
    market: chain.contracts.LicenseMarket,
    escrow: chain.contracts.CheckpointEscrow,
    rebatePool: chain.contracts.RebatePool,
  };
  const gate = gated
    ? new LicenseGate(viemLicenseChain(publicClient, chain.chainId, contracts.market, contracts.rebatePool), chain.chainId)
    : undefined;
  const tracker = await startTracker({ gate });
  const account = (index: number) => privateKeyToAccount(chain.accounts[index].privateKey as Hex);
  const wallet = (index: number) => devWallet(chain.rpcUrl, chain.chainId, account(index));
  const seeders: Seeder[] = [];
  const clients: TorrentClient[] = [];
  let seeders_ = 0;
  let peers = 0;
  const announce = () => [`${tracker.url}/peer-${++peers}`];
  const openLeecherEscrow: Swarm["openEscrow"] = async (content, leecherIndex, sessionKey, pricePerMiBCap) => {
    const leecher = wallet(leecherIndex);
    const { escrowId } = await openEscrow({
      publicClient,
      walletClient: leecher,
      account: leecher.account,
      escrow: contracts.escrow,
      contentId: content.contentId,
      maxBytes: content.size,
      pricePerMiBCap,
      sessionKey,
      mode: "exponential",
    });
    return escrowId;
  };
  const downloadKey = (leecherIndex: number) => {
    const leecher = wallet(leecherIndex);
    return createDownloadKey(leecher, leecher.account, { chainId: chain.chainId, rebatePool: contracts.rebatePool });
  };
  /** A LeecherSession's options for `content`, speaking for test account `leecherIndex` with `key`, without an escrow. */
  const sessionOptions = (content: Published, leecherIndex: number, key: DownloadKey, pricePerMiBCap: bigint): LeecherSessionOptions => ({
    chainId: chain.chainId,
    contracts,
    contentId: content.contentId,
    account: wallet(leecherIndex).account.address,
    escrowId: null,
    mode: "exponential",
    maxBytes: content.size,
    pricePerMiBCap,
    sessionKey: key.sessionKey,
    delegation: key.delegation,
  });
  const file: Swarm["file"] = (name, bytes) => writeRandomFile(join(dir, "content", name), bytes);
  const publish: Swarm["publish"] = (path, options = {}) => {
    const publisher = wallet(1);
    return publishFile({
      publicClient,
      walletClient: publisher,
      account: publisher.account,
      market: contracts.market,
      path,
      announce: [tracker.url],
      basePrice: options.basePrice ?? 10n ** 15n,
      bountyFeeBps: options.bountyFeeBps ?? 1_000,
      curve: options.curve,
      growth: options.growth,
    });
  };
  const buyLicense: Swarm["buyLicense"] = (contentId, buyerIndex) => {
    const buyer = wallet(buyerIndex);
    return buyMarketLicense(publicClient, buyer, buyer.account, contracts.market, contentId);
  };
  const published: Swarm["published"] = async (name, bytes, licensees = []) => {
    const path = file(name, bytes);
    const content = await publish(path);
    for (const index of licensees) await buyLicense(content.contentId, index);
    return { file: path, content };
  };
  const startSeeder: Swarm["startSeeder"] = async ({ accountIndex, pricePerMiB, dbPath, ...rest }) => {
    const seeder = await Seeder.start({
      rpcUrl: chain.rpcUrl,
      privateKey: chain.accounts[accountIndex].privateKey as Hex,
      dbPath: dbPath ?? join(dir, `seeder-${accountIndex}-${seeders_++}.sqlite`),
      announce: announce(),
      pricePerMiB,
      contracts,
      settleIntervalMs: 0,
      ...rest,
    });
    seeders.push(seeder);
    return seeder;
  };

  return {
    chain,
    tracker,
    publicClient,
    contracts,
    dir,
    announce,
    account,
    wallet,
    file,
    publish,
    buyLicense,
    startSeeder,
    published,
    async seeded(name, bytes, { licensees, seeder: seederOptions }) {
      const { file, content } = await published(name, bytes, licensees);
      const seeder = await startSeeder(seederOptions);
      await seeder.seed(file);
      return { file, content, seeder };
    },
    async refund(escrowId) {
      const [refunded] = await publicClient.getContractEvents({
        address: contracts.escrow,
        abi: checkpointEscrowAbi,
        eventName: "EscrowRefunded",
        args: { escrowId },
        fromBlock: 0n,
        strict: true,
      });
      assert.ok(refunded, `escrow ${escrowId} was not refunded`);
      return refunded.args;
    },
    downloadKey,
    openEscrow: openLeecherEscrow,
    async escrowSession(content, leecherIndex, pricePerMiBCap) {
      const key = await downloadKey(leecherIndex);
      const escrowId = await openLeecherEscrow(content, leecherIndex, key.sessionKey.address, pricePerMiBCap);
      return { ...sessionOptions(content, leecherIndex, key, pricePerMiBCap), escrowId };
    },
    async freeSession(content, leecherIndex) {
      return sessionOptions(content, leecherIndex, await downloadKey(leecherIndex), 0n);
    },
    async download(content, leecherIndex, { pricePerMiBCap, mode, payment }) {
      const leecher = wallet(leecherIndex);
      const key = await downloadKey(leecherIndex);
      const out = join(dir, `leecher-${leecherIndex}-${content.contentId}`);
      const client = nodeClient();
      clients.push(client);
      const paid = await startPaidDownload({
        client: client as never,
        publicClient,
        walletClient: leecher,
        account: leecher.account,
        chainId: chain.chainId,
        contracts,
        contentId: content.contentId,
        key,
        pricePerMiBCap,
        mode,
        payment,
        announce: announce(),
        torrentOptions: { path: out },
      });
      return { paid, path: join(out, content.name) };
    },
    client() {
      const client = nodeClient();
      clients.push(client);
      return client;
    },
    attach(client, infoHash, session, path) {
      const urls = announce();
      const torrent = client.add(magnetURI(infoHash, urls), {
        announce: urls,
        path: path ?? mkdtempSync(join(dir, "leech-")),
      });
      const extension = leecherExtension(session, { infoHash, peerId: client.peerId });
      torrent.on("wire", (wire: PayWire) => (wire as unknown as { use(e: unknown): void }).use(extension));
      followPieceChecks(torrent, session);
      return torrent;
    },
    async stop() {
      await Promise.all(clients.map(destroyClient));
      // A test may have stopped its seeder already (stop() then throws): the rest of the teardown still runs.
      for (const seeder of seeders) await seeder.stop().catch(() => {});
      await tracker.close();
      await chain.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type { Address, Published };
