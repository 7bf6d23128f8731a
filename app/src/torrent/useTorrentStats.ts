/** Live numbers of a torrent (progress, speeds, peers), sampled every second. */
import { useEffect, useState } from "react";
import type { Torrent } from "./webtorrentTypes.ts";

export interface PeerStats {
  id: string;
  address: string;
  downloaded: number;
  uploaded: number;
}

/** The torrent's own figures at one moment, and its peers. */
export interface TorrentStats extends Pick<
  Torrent,
  "progress" | "downloaded" | "received" | "uploaded" | "downloadSpeed" | "uploadSpeed" | "numPeers" | "done"
> {
  peers: PeerStats[];
}

export function sampleTorrent(torrent: Torrent): TorrentStats {
  return {
    progress: torrent.progress,
    downloaded: torrent.downloaded,
    received: torrent.received,
    uploaded: torrent.uploaded,
    downloadSpeed: torrent.downloadSpeed,
    uploadSpeed: torrent.uploadSpeed,
    numPeers: torrent.numPeers,
    done: torrent.done,
    peers: torrent.wires.map((wire, i) => ({
      id: wire.peerId ?? `peer-${i}`,
      address: wire.remoteAddress ?? wire.type ?? "webrtc",
      downloaded: wire.downloaded,
      uploaded: wire.uploaded,
    })),
  };
}

export function useTorrentStats(torrent: Torrent | null | undefined, intervalMs = 1_000): TorrentStats | null {
  const [stats, setStats] = useState<TorrentStats | null>(() => (torrent ? sampleTorrent(torrent) : null));
  useEffect(() => {
    if (!torrent) return;
    setStats(sampleTorrent(torrent));
    const timer = setInterval(() => setStats(sampleTorrent(torrent)), intervalMs);
    return () => clearInterval(timer);
  }, [torrent, intervalMs]);
  return stats;
}
