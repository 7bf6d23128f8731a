/**
 * The headless leecher: given a funded key that holds a license, opens an escrow and downloads the content over
 * WebTorrent while its session key pays each seeder through w3t_pay (sdk `startPaidDownload`).
 *
 *   const result = await leech({ rpcUrl, privateKey, contentId: 1n, pricePerMiBCap: 10n ** 12n, outDir: "downloads",
 *                                announce: ["ws://127.0.0.1:8001"] });
 */
import { createPublicClient, createWalletClient, http, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import WebTorrent from "webtorrent";
import { chainFor } from "@web3torrent/sdk/chain";
import { getDeployment } from "@web3torrent/sdk/deployments";
import {
  createDownloadKey,
  startPaidDownload,
  type Contracts,
  type DownloadKey,
  type PaidDownload,
  type TorrentClientLike,
} from "@web3torrent/sdk/paidDownload";
import { torrentClientOptions } from "@web3torrent/sdk/torrentClient";
import type { PaymentModeName, PaymentStrategy } from "@web3torrent/sdk/wire/index";

export interface LeechOptions {
  rpcUrl: string;
  privateKey: Hex;
  contentId: bigint;
  /** Highest price per MiB accepted; the deposit is the whole content at it. 0: free seeders only, no escrow. */
  pricePerMiBCap: bigint;
  outDir: string;
  announce: string[];
  mode?: PaymentModeName;
  /** Checkpoints paid by session-key vouchers (default) or by a `release` transaction from the key's account each. */
  payment?: PaymentStrategy;
  chainId?: number;
  contracts?: Contracts;
  /** Reuse a session key and its delegation (one wallet prompt less). */
  key?: DownloadKey;
  iceServers?: { urls: string | string[] }[];
  /** An existing WebTorrent client (the caller destroys it); a new one otherwise. */
  client?: InstanceType<typeof WebTorrent>;
  settleTimeoutMs?: number;
  /** Counts the wallet's prompts (signature or transaction), for the benchmark. */
  onWalletPrompt?: (kind: "delegation" | "open" | "close") => void;
}

export interface Leech {
  download: PaidDownload;
  client: InstanceType<typeof WebTorrent>;
  key: DownloadKey;
  publicClient: PublicClient;
  /** Destroys the client if `leech` created it. */
  destroy(): Promise<void>;
}

/** Starts a paid download; `result.download.done` resolves when every byte is in and every seeder is paid. */
export async function leech(options: LeechOptions): Promise<Leech> {
  const transport = http(options.rpcUrl);
  const probe = createPublicClient({ transport });
  const chainId = options.chainId ?? (await probe.getChainId());
  const chain = chainFor(options.rpcUrl, chainId);
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 100 }) as PublicClient;
  const account = privateKeyToAccount(options.privateKey);
  const walletClient = createWalletClient({ chain, transport, account });
  const contracts =
    options.contracts ??
    (() => {
      const d = getDeployment(chainId).contracts;
      return { market: d.LicenseMarket.address, escrow: d.CheckpointEscrow.address, rebatePool: d.RebatePool.address };
    })();

  let key = options.key;
  if (!key) {
    options.onWalletPrompt?.("delegation");
    key = await createDownloadKey(walletClient, account, { chainId, rebatePool: contracts.rebatePool });
  }
  const ownClient = !options.client;
  const client = options.client ?? new WebTorrent(torrentClientOptions(options.iceServers));
  if (options.pricePerMiBCap > 0n) options.onWalletPrompt?.("open");
  const download = await startPaidDownload({
    client: client as unknown as TorrentClientLike,
    publicClient,
    walletClient,
    account,
    chainId,
    contracts,
    contentId: options.contentId,
    key,
    pricePerMiBCap: options.pricePerMiBCap,
    mode: options.mode,
    payment: options.payment,
    announce: options.announce,
    torrentOptions: { path: options.outDir },
    settleTimeoutMs: options.settleTimeoutMs,
  });
  const close = download.close;
  download.close = () => {
    options.onWalletPrompt?.("close");
    return close();
  };
  return {
    download,
    client,
    key,
    publicClient,
    destroy: () => (ownClient ? new Promise<void>((resolve) => client.destroy(() => resolve())) : Promise.resolve()),
  };
}

export type { Address };
