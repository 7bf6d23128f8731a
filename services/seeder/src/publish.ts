/**
 * Publishing a local file as content: computes its torrent as every seeder will (./torrent.ts) and registers the
 * infohash, size and a metadata URI (name, description, magnet with the trackers) in the LicenseMarket, in the
 * market's two steps (commit, wait, register).
 */
import type { Account, Address, PublicClient, WalletClient } from "viem";
import { infohashToBytes32, magnetURI } from "@web3torrent/sdk/infohash";
import { registerContent, type ContentRegistration, type RegistrationStep } from "@web3torrent/sdk/market";
import { createContentTorrent } from "./torrent.ts";

export interface PublishOptions extends Omit<ContentRegistration, "infohash" | "size" | "metadataURI" | "payout"> {
  publicClient: PublicClient;
  walletClient: WalletClient;
  account: Account | Address;
  market: Address;
  path: string;
  announce: string[];
  payout?: Address;
  description?: string;
  /** Where the registration is: committing, waiting N s, registering. */
  onProgress?: (step: RegistrationStep) => void;
}

export interface Published {
  contentId: bigint;
  infoHash: string;
  name: string;
  size: bigint;
  magnet: string;
}

/** A registration step in words, as the `publish` paths print it. */
export function describeRegistrationStep(step: RegistrationStep): string {
  if (step.step === "waiting") return `waiting ${step.seconds}s…`;
  return `${step.step}…`;
}

export async function publishFile(options: PublishOptions): Promise<Published> {
  const torrent = await createContentTorrent(options.path, options.announce);
  const magnet = magnetURI(torrent.infoHash, options.announce, torrent.name);
  const metadata = { name: torrent.name, description: options.description ?? "", magnet };
  const publisher = typeof options.account === "string" ? options.account : options.account.address;
  const contentId = await registerContent(
    options.publicClient,
    options.walletClient,
    options.account,
    options.market,
    {
      ...options,
      infohash: infohashToBytes32(torrent.infoHash),
      size: BigInt(torrent.length),
      payout: options.payout ?? publisher,
      metadataURI: `data:application/json,${encodeURIComponent(JSON.stringify(metadata))}`,
    },
    { onProgress: options.onProgress },
  );
  return { contentId, infoHash: torrent.infoHash, name: torrent.name, size: BigInt(torrent.length), magnet };
}
