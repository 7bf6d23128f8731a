/**
 * Creates a file's torrent in the browser by seeding it: the same infohash the headless seeder computes
 * (create-torrent's defaults: the file's name, the piece length it picks for the size), announcing the trackers.
 */
import type { Torrent, WebTorrentClient } from "./webtorrentTypes.ts";

export function seedFile(client: WebTorrentClient, file: File, announce: string[], onWire?: (torrent: Torrent) => void): Promise<Torrent> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const torrent = client.seed(file, { announce, name: file.name, createdBy: "Web3Torrent" }, (seeded) => {
      settled = true;
      resolve(seeded);
    });
    onWire?.(torrent);
    torrent.once("error", (error: Error | string) => {
      if (!settled) reject(typeof error === "string" ? new Error(error) : error);
    });
  });
}
