/**
 * The torrent of a content file, computed the same way by the publisher (who registers its infohash) and by every
 * seeder (who seeds a local file only if its infohash is registered): create-torrent's defaults — the file's base
 * name, the piece length create-torrent picks for the size — which are also what WebTorrent's `client.seed` uses
 * in the browser app. Only the `info` dictionary enters the infohash; the tracker list does not.
 */
import { basename } from "node:path";
import createTorrent from "create-torrent";
import parseTorrent from "parse-torrent";

export interface ContentTorrent {
  /** The .torrent file (bencoded), announcing `announce`. */
  torrentFile: Uint8Array;
  /** BitTorrent v1 infohash, 40 lowercase hex characters. */
  infoHash: string;
  name: string;
  length: number;
  pieceLength: number;
}

export async function createContentTorrent(path: string, announce: string[]): Promise<ContentTorrent> {
  const torrentFile = await new Promise<Uint8Array>((resolve, reject) =>
    createTorrent(
      path,
      { name: basename(path), announceList: announce.map((url) => [url]), createdBy: "Web3Torrent" },
      (error: Error | null, torrent: Uint8Array) => (error ? reject(error) : resolve(torrent)),
    ),
  );
  const parsed = await parseTorrent(torrentFile);
  return {
    torrentFile,
    infoHash: parsed.infoHash,
    name: parsed.name,
    length: parsed.length,
    pieceLength: parsed.pieceLength,
  };
}
