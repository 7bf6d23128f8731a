/** Saves a downloaded torrent's file to disk through a blob URL and a download link. */
import type { Torrent } from "../torrent/webtorrentTypes.ts";

export async function saveTorrentFile(torrent: Torrent): Promise<void> {
  const file = torrent.files[0];
  if (!file) throw new Error("The torrent has no file yet.");
  const url = URL.createObjectURL(await file.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = file.name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
