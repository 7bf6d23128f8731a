/**
 * The tab's one WebTorrent client and the torrents it holds (published, downloading, seeding), shared by the
 * Publish, Library and Seeding pages. The client is created on first use. Content is seeded only through the
 * sdk's w3t_pay seeder extension, paid to the connected wallet: peers without a license (or, at a price, without
 * an escrow) are never sent a byte.
 */
import type { LeecherSession } from "@web3torrent/sdk/wire/leecherSession";
import { DEFAULT_RELEASE_TIMEOUT_MS, DEFAULT_VOUCHER_TIMEOUT_MS, seederExtension } from "@web3torrent/sdk/wire/seederExtension";
import { FIRST_CHECKPOINT } from "@web3torrent/sdk/checkpointSchedule";
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import { bytes32ToInfohash } from "@web3torrent/sdk/infohash";
import { TrackerCredentials, sessionKeySigner } from "@web3torrent/sdk/trackerAuth";
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import type { PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { useConfig, usePublicClient } from "wagmi";
import { getWalletClient, simulateContract, waitForTransactionReceipt, writeContract } from "wagmi/actions";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import { downloadKeyFor } from "../library/downloadKey.ts";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { TabSeederBackend } from "../seeding/tabSeederBackend.ts";
import { TabSeederStore } from "../seeding/tabSeederStore.ts";
import { useWallet } from "../wallet/useWallet.ts";
import { loadWebTorrent, webTorrentSupported } from "./loadWebTorrent.ts";
import { countServedBytes } from "./servedBytes.ts";
import type { Torrent, TorrentWire, WebTorrentClient } from "./webtorrentTypes.ts";

export type TorrentStatus = "downloading" | "completed" | "seeding";

/** How long a seeder in this tab waits for a voucher at a checkpoint before it drops the peer. */

export interface AppTorrent {
  infoHash: string;
  contentId: bigint | null;
  name: string;
  status: TorrentStatus;
  torrent: Torrent;
  startedAt: number;
  /** A paid download's escrow (null when free) and its w3t_pay session (vouchers and receipts per seeder). */
  escrowId?: bigint | null;
  session?: LeecherSession;
  /** A paid download whose seeders all acknowledged their final vouchers: it can be seeded. */
  settled?: boolean;
}

export interface FileTorrent {
  infoHash: string;
  name: string;
  length: number;
}

interface TorrentContextValue {
  getClient(): Promise<WebTorrentClient>;
  torrents: AppTorrent[];
  track(entry: AppTorrent): void;
  update(infoHash: string, patch: Partial<AppTorrent>): void;
  remove(infoHash: string): Promise<void>;
  /** Computes a file's torrent (infohash) without announcing it anywhere. */
  hashFile(file: File): Promise<FileTorrent>;
  /** Seeds a registered content's file to licensed peers, paid to the connected wallet. */
  seedContent(file: File, contentId: bigint, name?: string): Promise<AppTorrent>;
  /** The store of vouchers and receipts this tab's seeder holds for the connected wallet. */
  seederStore: TabSeederStore | null;
  /** Price per MiB asked from new peers (0: free seeding, receipts only). */
  seedPricePerMiB: bigint;
  setSeedPricePerMiB(price: bigint): void;
  /** The last error of the client itself (tracker unreachable and the like). */
  clientError: string | null;
}

const TorrentContext = createContext<TorrentContextValue | null>(null);

function seedInClient(
  client: WebTorrentClient,
  file: File,
  announce: string[],
  onTorrent?: (torrent: Torrent) => void,
  getAnnounceOpts?: () => object,
): Promise<Torrent> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const torrent = client.seed(file, { announce, name: file.name, createdBy: "Web3Torrent", getAnnounceOpts }, (seeded) => {
      settled = true;
      resolve(seeded);
    });
    onTorrent?.(torrent);
    torrent.once("error", (error: Error | string) => {
      if (!settled) reject(typeof error === "string" ? new Error(error) : error);
    });
  });
}

export function TorrentProvider({ children }: { children: ReactNode }) {
  const config = useAppConfig();
  const publicClient = usePublicClient({ chainId: config.chainId }) as PublicClient;
  const { address } = useWallet();
  const wagmiConfig = useConfig();
  const client = useRef<Promise<WebTorrentClient> | null>(null);
  const [torrents, setTorrents] = useState<AppTorrent[]>([]);
  const [clientError, setClientError] = useState<string | null>(null);
  const [seedPricePerMiB, setSeedPricePerMiB] = useState(0n);
  const seederStore = useMemo(() => (address ? new TabSeederStore(config.chainId, address) : null), [address, config.chainId]);
  const backend = useMemo(() => {
    /** A CheckpointEscrow call from the seeder's own wallet, resolved once mined. */
    const sendAsSeeder = async (functionName: "redeemAndReserve" | "settleClose", args: readonly unknown[]): Promise<void> => {
      const { request } = await simulateContract(wagmiConfig, {
        address: config.contracts.CheckpointEscrow,
        abi: checkpointEscrowAbi,
        functionName,
        args: args as never,
        account: address,
        chainId: config.chainId,
      });
      const hash = await writeContract(wagmiConfig, request as never);
      await waitForTransactionReceipt(wagmiConfig, { hash, chainId: config.chainId });
    };
    return address && seederStore
      ? new TabSeederBackend({
          client: publicClient,
          contracts: config.contracts,
          chainId: config.chainId,
          seeder: address,
          store: seederStore,
          // The seeder's own wallet redeems each checkpoint's voucher and reserves its next interval before serving it.
          reserve: ({ signature, ...voucher }) => sendAsSeeder("redeemAndReserve", [voucher, signature]),
          // A leecher's signed Close, as the headless seeder settles it: last voucher, close, waiver, refund.
          settleClose: ({ signature, ...voucher }, closeSignature) => sendAsSeeder("settleClose", [voucher, signature, closeSignature]),
        })
      : null;
  }, [address, config.chainId, config.contracts, publicClient, seederStore, wagmiConfig]);

  const getClient = useCallback(() => {
    if (!webTorrentSupported()) return Promise.reject(new Error("This browser has no WebRTC: WebTorrent cannot run here."));
    client.current ??= loadWebTorrent().then((WebTorrent) => {
      const instance = new WebTorrent({
        dht: false,
        lsd: false,
        utp: false,
        webSeeds: false,
        tracker: { rtcConfig: { iceServers: config.iceServers } },
      });
      instance.on("error", (error) => setClientError(typeof error === "string" ? error : error.message));
      return instance;
    });
    return client.current;
  }, [config.iceServers]);

  const track = useCallback((entry: AppTorrent) => {
    setTorrents((list) => [...list.filter((t) => t.infoHash !== entry.infoHash), entry]);
  }, []);
  const update = useCallback((infoHash: string, patch: Partial<AppTorrent>) => {
    setTorrents((list) => list.map((t) => (t.infoHash === infoHash ? { ...t, ...patch } : t)));
  }, []);
  const remove = useCallback(async (infoHash: string) => {
    setTorrents((list) => list.filter((t) => t.infoHash !== infoHash));
    const instance = await client.current;
    if (instance && (await instance.get(infoHash))) await instance.remove(infoHash);
  }, []);

  const hashFile = useCallback(
    async (file: File): Promise<FileTorrent> => {
      const instance = await getClient();
      // Without trackers (and no DHT) nobody can find it: this only hashes the pieces.
      const torrent = await seedInClient(instance, file, []);
      const result = { infoHash: torrent.infoHash, name: torrent.name, length: torrent.length };
      await instance.remove(torrent.infoHash);
      return result;
    },
    [getClient],
  );

  const seedContent = useCallback(
    async (file: File, contentId: bigint, name = file.name): Promise<AppTorrent> => {
      if (!address || !backend) throw new Error("Connect a wallet: seeding is paid to it.");
      const instance = await getClient();
      const existing = torrents.find((t) => t.contentId === contentId && t.status === "seeding");
      if (existing) return existing;
      // The tab proves its payout address to leechers with the tab's delegated key (the same daily Delegation as for
      // downloads): no wallet prompt per peer.
      const walletClient = await getWalletClient(wagmiConfig, { chainId: config.chainId, account: address });
      const key = await downloadKeyFor(walletClient, address, { chainId: config.chainId, rebatePool: config.contracts.RebatePool });
      // The infohash is known once the file is hashed, before any wire.
      const localPeer = { infoHash: "", peerId: instance.peerId };
      const extension = seederExtension({
        terms: {
          chainId: config.chainId,
          market: config.contracts.LicenseMarket,
          escrow: config.contracts.CheckpointEscrow,
          rebatePool: config.contracts.RebatePool,
          contentId,
          seeder: address,
          pricePerMiB: seedPricePerMiB,
          firstCheckpoint: FIRST_CHECKPOINT,
          modes: ["exponential", "upfront"],
          voucherTimeoutMs: DEFAULT_VOUCHER_TIMEOUT_MS,
          acceptsReleases: true,
          releaseTimeoutMs: DEFAULT_RELEASE_TIMEOUT_MS,
        },
        backend,
        identity: {
          signer: privateKeyToAccount(key.sessionKey.exportPrivateKey()),
          delegation: { expiry: key.delegation.expiry, signature: key.delegation.signature },
        },
        localPeer,
      });
      // The tracker introduces the tab to the title's peers only with a license proof (the same key signs it); the
      // proof names the registered infohash, known before the file is hashed (a different file is refused).
      const { infohash } = await publicClient.readContract({
        address: config.contracts.LicenseMarket,
        abi: licenseMarketAbi,
        functionName: "content",
        args: [contentId],
      });
      const registered = bytes32ToInfohash(infohash);
      const credentials = new TrackerCredentials({
        chainId: config.chainId,
        signer: sessionKeySigner(key.sessionKey),
        delegation: key.delegation,
      });
      await credentials.prepare(registered, instance.peerId);
      const torrent = await seedInClient(
        instance,
        file,
        config.trackerUrls,
        (t) =>
          t.on("wire", (wire: TorrentWire) => {
            localPeer.infoHash = t.infoHash;
            countServedBytes(t, wire);
            wire.use(extension);
          }),
        () => credentials.announceOpts(registered, instance.peerId),
      );
      const entry: AppTorrent = { infoHash: torrent.infoHash, contentId, name, status: "seeding", torrent, startedAt: Date.now() };
      track(entry);
      return entry;
    },
    [address, backend, config, getClient, publicClient, seedPricePerMiB, torrents, track, wagmiConfig],
  );

  const value = useMemo(
    () => ({
      getClient,
      torrents,
      track,
      update,
      remove,
      hashFile,
      seedContent,
      seederStore,
      seedPricePerMiB,
      setSeedPricePerMiB,
      clientError,
    }),
    [getClient, torrents, track, update, remove, hashFile, seedContent, seederStore, seedPricePerMiB, clientError],
  );
  return <TorrentContext.Provider value={value}>{children}</TorrentContext.Provider>;
}

export function useTorrents(): TorrentContextValue {
  const value = useContext(TorrentContext);
  if (!value) throw new Error("useTorrents outside TorrentProvider");
  return value;
}
