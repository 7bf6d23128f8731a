/** A license's place in the flow: available → downloading → completed → seeding. */
import type { AppTorrent } from "../torrent/TorrentContext.tsx";

export type DownloadStatus = "available" | "downloading" | "completed" | "seeding";

export function downloadStatus(torrent: AppTorrent | undefined): DownloadStatus {
  return torrent?.status ?? "available";
}
