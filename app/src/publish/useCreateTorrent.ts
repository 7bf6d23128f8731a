/**
 * Picking a file creates its torrent in this tab (hashing only: nobody is served before the content is
 * registered), then looks its infohash up in the market: a file already published is reported with its content id
 * (and seeded) instead of being registered twice.
 */
import { useCallback, useState } from "react";
import { usePublicClient } from "wagmi";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { useTorrents } from "../torrent/TorrentContext.tsx";
import { contentIdOf } from "../data/contentIdOf.ts";

export interface CreatedTorrent {
  file: File;
  infoHash: string;
  name: string;
  size: bigint;
  /** Set when the infohash is already registered. */
  existingContentId: bigint | null;
}

export function useCreateTorrent() {
  const config = useAppConfig();
  const client = usePublicClient({ chainId: config.chainId });
  const { hashFile, seedContent } = useTorrents();
  const [state, setState] = useState<{ phase: "idle" | "hashing" | "ready" | "failed"; created?: CreatedTorrent; error?: Error }>({
    phase: "idle",
  });

  const create = useCallback(
    async (file: File) => {
      setState({ phase: "hashing" });
      try {
        const torrent = await hashFile(file);
        const contentId = await contentIdOf(client!, config.contracts.LicenseMarket, torrent.infoHash);
        const created: CreatedTorrent = {
          file,
          infoHash: torrent.infoHash,
          name: torrent.name,
          size: BigInt(torrent.length),
          existingContentId: contentId === 0n ? null : contentId,
        };
        if (created.existingContentId !== null) await seedContent(file, created.existingContentId).catch(() => undefined);
        setState({ phase: "ready", created });
        return created;
      } catch (error) {
        setState({ phase: "failed", error: error as Error });
        return undefined;
      }
    },
    [client, config, hashFile, seedContent],
  );
  const reset = useCallback(() => setState({ phase: "idle" }), []);
  return { ...state, create, reset };
}
