/**
 * Picking a file creates its torrent in this tab (and starts seeding it), then looks its infohash up in the
 * market: a file already published is reported with its content id instead of being registered twice.
 */
import { licenseMarketAbi } from "@web3torrent/sdk/generated/contracts";
import { useCallback, useState } from "react";
import { usePublicClient } from "wagmi";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { useTorrents } from "../torrent/TorrentContext.tsx";
import { seedFile } from "../torrent/seedFile.ts";
import type { Torrent } from "../torrent/webtorrentTypes.ts";
import { infohashToBytes32 } from "./infohash.ts";

export interface CreatedTorrent {
  torrent: Torrent;
  infoHash: string;
  name: string;
  size: bigint;
  /** Set when the infohash is already registered. */
  existingContentId: bigint | null;
}

export function useCreateTorrent() {
  const config = useAppConfig();
  const client = usePublicClient({ chainId: config.chainId });
  const { getClient, track } = useTorrents();
  const [state, setState] = useState<{ phase: "idle" | "hashing" | "ready" | "failed"; created?: CreatedTorrent; error?: Error }>({ phase: "idle" });

  const create = useCallback(
    async (file: File) => {
      setState({ phase: "hashing" });
      try {
        const webtorrent = await getClient();
        const existing = webtorrent.torrents.find((t) => t.name === file.name && t.length === file.size);
        const torrent = existing ?? (await seedFile(webtorrent, file, config.trackerUrls));
        const contentId = await client!.readContract({
          address: config.contracts.LicenseMarket,
          abi: licenseMarketAbi,
          functionName: "contentIdOf",
          args: [infohashToBytes32(torrent.infoHash)],
        });
        const created: CreatedTorrent = {
          torrent,
          infoHash: torrent.infoHash,
          name: torrent.name,
          size: BigInt(torrent.length),
          existingContentId: contentId === 0n ? null : contentId,
        };
        track({ infoHash: torrent.infoHash, contentId: created.existingContentId, name: torrent.name, status: "seeding", torrent, startedAt: Date.now() });
        setState({ phase: "ready", created });
        return created;
      } catch (error) {
        setState({ phase: "failed", error: error as Error });
        return undefined;
      }
    },
    [client, config, getClient, track],
  );
  const reset = useCallback(() => setState({ phase: "idle" }), []);
  return { ...state, create, reset };
}
