/**
 * Seeding a file from disk: its infohash is computed here and the file is seeded only if it matches a registered
 * content (a file that differs by one byte has another infohash and is refused).
 */
import { useState } from "react";
import { usePublicClient } from "wagmi";
import { useAppConfig } from "../config/ConfigContext.tsx";
import { contentIdOf } from "../data/contentIdOf.ts";
import { useTorrents } from "../torrent/TorrentContext.tsx";

export function useSeedLocalFile() {
  const config = useAppConfig();
  const client = usePublicClient({ chainId: config.chainId });
  const { hashFile, seedContent } = useTorrents();
  const [state, setState] = useState<{ phase: "idle" | "hashing" | "seeding" | "refused" | "failed"; message?: string }>({ phase: "idle" });

  async function seed(file: File) {
    setState({ phase: "hashing" });
    try {
      const torrent = await hashFile(file);
      const contentId = await contentIdOf(client!, config.contracts.LicenseMarket, torrent.infoHash);
      if (contentId === 0n) {
        setState({
          phase: "refused",
          message: `"${file.name}" matches no published content (infohash ${torrent.infoHash}). Only registered files can be seeded: publish it first, or pick the exact file you downloaded.`,
        });
        return;
      }
      await seedContent(file, contentId);
      setState({ phase: "seeding", message: `Seeding "${file.name}" as content #${contentId}.` });
    } catch (error) {
      setState({ phase: "failed", message: (error as Error).message });
    }
  }
  return { ...state, seed, reset: () => setState({ phase: "idle" }) };
}
