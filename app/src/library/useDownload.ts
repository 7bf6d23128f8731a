/**
 * Downloading a licensed content over WebTorrent in this tab: the torrent is added from the content's magnet (or
 * its infohash and the configured trackers), tracked as downloading, completed when every piece is verified, then
 * seeded. Failures say what to do: no tracker, no peers after a while, the torrent's own errors.
 */
import { useCallback, useState } from "react";
import { useAppConfig } from "../config/ConfigContext.tsx";
import type { ContentRecord } from "../data/types.ts";
import { bytes32ToInfohash, magnetURI } from "../publish/infohash.ts";
import { useTorrents } from "../torrent/TorrentContext.tsx";
import type { Torrent } from "../torrent/webtorrentTypes.ts";

/** How long a download may find no peer before the user is told. */
export const NO_PEERS_TIMEOUT_MS = 20_000;

export interface DownloadProblem {
  kind: "no-tracker" | "tracker-unreachable" | "no-peers" | "torrent";
  message: string;
}

export function magnetFor(content: ContentRecord, trackers: string[]): string {
  return content.metadata.magnet ?? magnetURI(bytes32ToInfohash(content.infohash), trackers, content.metadata.name);
}

export function useDownload(content: ContentRecord) {
  const config = useAppConfig();
  const { getClient, track, update } = useTorrents();
  const [problem, setProblem] = useState<DownloadProblem | null>(null);
  const [starting, setStarting] = useState(false);

  const start = useCallback(async (): Promise<Torrent | undefined> => {
    setProblem(null);
    if (config.trackerUrls.length === 0 && !content.metadata.magnet?.includes("tr=")) {
      setProblem({ kind: "no-tracker", message: "No tracker is configured, so no peer can be found. Set trackerUrls in config.json." });
      return undefined;
    }
    setStarting(true);
    try {
      const client = await getClient();
      const infoHash = bytes32ToInfohash(content.infohash);
      const existing = await client.get(infoHash);
      const torrent = existing ?? client.add(magnetFor(content, config.trackerUrls), { announce: config.trackerUrls });
      track({ infoHash, contentId: content.contentId, name: content.metadata.name, status: torrent.done ? "completed" : "downloading", torrent, startedAt: Date.now() });
      torrent.on("done", () => update(infoHash, { status: "completed" }));
      torrent.on("error", (error: Error | string) => setProblem({ kind: "torrent", message: typeof error === "string" ? error : error.message }));
      torrent.on("warning", (warning: Error | string) => {
        const text = typeof warning === "string" ? warning : warning.message;
        if (/tracker|websocket|connect/i.test(text) && torrent.numPeers === 0) {
          setProblem({ kind: "tracker-unreachable", message: `The tracker is unreachable (${text}). WebTorrent keeps retrying; check trackerUrls in config.json or that the tracker is running.` });
        }
      });
      const noPeers = setTimeout(() => {
        if (!torrent.done && torrent.numPeers === 0) {
          setProblem({ kind: "no-peers", message: "No seeder has answered yet. The download goes on as soon as one connects; you can also keep waiting or come back later." });
        }
      }, NO_PEERS_TIMEOUT_MS);
      torrent.on("wire", () => {
        clearTimeout(noPeers);
        setProblem((p) => (p?.kind === "no-peers" ? null : p));
      });
      return torrent;
    } catch (error) {
      setProblem({ kind: "torrent", message: (error as Error).message });
      return undefined;
    } finally {
      setStarting(false);
    }
  }, [config.trackerUrls, content, getClient, track, update]);

  return { start, starting, problem, dismiss: () => setProblem(null) };
}
